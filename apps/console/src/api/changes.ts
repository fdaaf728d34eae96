import type {
  ChangeActionName,
  ChangeActionRecord,
  ChangeCalendar,
  ChangeJournal,
  ChangeSpec,
  ChangeStatus,
  ChangeWindowSpec,
  LineStop,
  LineStopList,
  Resource,
} from '@gantry/client';
import { apiRequest } from './client';
import { listAll } from './delivery';
import { getResource } from './resources';

/** The Change and ChangeWindow kinds as the console addresses them (packages/model/src/kinds/change*.ts). */
export const changeKind = { plural: 'changes', scope: 'Team' } as const;
export const changeWindowKind = { plural: 'changewindows', scope: 'Team' } as const;

export type Change = Resource & { spec: ChangeSpec; status?: ChangeStatus };
export type ChangeWindow = Resource & { spec: ChangeWindowSpec };

const teamPath = (team: string) => `/api/teams/${encodeURIComponent(team)}`;
const changePath = (team: string, name: string) => `${teamPath(team)}/changes/${encodeURIComponent(name)}`;

/** Every Change the caller can read, in one team or across teams. */
export async function listChanges(team: string | undefined, signal?: AbortSignal): Promise<Change[]> {
  return (await listAll(changeKind, {
    ...(team ? { team } : {}),
    ...(signal ? { signal } : {}),
  })) as Change[];
}

export async function getChange(team: string, name: string, signal?: AbortSignal): Promise<Change> {
  return (await getResource({ kind: changeKind, team, name }, signal)) as Change;
}

/** Pause, resume or abort at the change's next step, with why (recorded with who). */
export function actOnChange(
  team: string,
  name: string,
  action: ChangeActionName,
  reason: string,
): Promise<ChangeActionRecord> {
  return apiRequest<ChangeActionRecord>(`${changePath(team, name)}/${action}`, {
    method: 'POST',
    body: { reason },
  });
}

/** The change's journal from the start (up to 5,000 steps). */
export function getChangeJournal(team: string, name: string, signal?: AbortSignal): Promise<ChangeJournal> {
  return apiRequest<ChangeJournal>(`${changePath(team, name)}/journal`, {
    query: { limit: 5000 },
    ...(signal ? { signal } : {}),
  });
}

export async function listLineStops(team: string, signal?: AbortSignal): Promise<LineStop[]> {
  return (await apiRequest<LineStopList>(`${teamPath(team)}/stop-the-line`, signal ? { signal } : {})).items;
}

export function stopLine(team: string, reason: string): Promise<LineStop> {
  return apiRequest<LineStop>(`${teamPath(team)}/stop-the-line`, { method: 'POST', body: { reason } });
}

export function releaseLine(team: string, reason: string): Promise<LineStopList> {
  return apiRequest<LineStopList>(`${teamPath(team)}/stop-the-line/release`, {
    method: 'POST',
    body: { reason },
  });
}

/** The team's ChangeWindows between `from` and `to` (at most 31 days), computed by the server's engine code. */
export function getChangeCalendar(
  team: string,
  range: { from: string; to: string },
  signal?: AbortSignal,
): Promise<ChangeCalendar> {
  return apiRequest<ChangeCalendar>(`${teamPath(team)}/change-calendar`, {
    query: range,
    ...(signal ? { signal } : {}),
  });
}
