import type {
  AlertList,
  DispatchGroupList,
  GettableSilence,
  NotificationDetail,
  NotificationList,
  NotificationState,
  PostableSilence,
} from '@gantry/client';
import { apiRequest } from './client';

/** The alert kinds as the console addresses them (packages/model/src/kinds/). */
export const alertRoutingKind = { plural: 'alertroutings', scope: 'Team' } as const;
export const notificationChannelKind = { plural: 'notificationchannels', scope: 'Team' } as const;

const team = (name: string) => `/api/teams/${encodeURIComponent(name)}`;

/** The filters of the alert list (docs/reference/alerts.md): matchers as amtool writes them, state, entities. */
export interface AlertFilter {
  readonly filter?: string;
  readonly state?: 'firing' | 'resolved';
  readonly cluster?: string;
  readonly node?: string;
  readonly namespace?: string;
  readonly application?: string;
}

/** A team's alert records (`team` undefined: every team's, for admins), most recently changed first. */
export function listAlerts(
  teamName: string | undefined,
  filter: AlertFilter,
  continueToken?: string,
  signal?: AbortSignal,
): Promise<AlertList> {
  return apiRequest<AlertList>(teamName === undefined ? '/api/alerts' : `${team(teamName)}/alerts`, {
    query: { ...filter, limit: 500, continue: continueToken },
    signal,
  });
}

/**
 * The dispatcher's aggregation groups of a team, with what mutes each alert: pages of 1,000, up to 10,000
 * groups (`continue` is set when the team has more).
 */
export async function listDispatchGroups(teamName: string, signal?: AbortSignal): Promise<DispatchGroupList> {
  const groups: DispatchGroupList['groups'] = [];
  let page: DispatchGroupList | undefined;
  for (let pages = 0; pages < 10 && (page === undefined || page.continue !== undefined); pages += 1) {
    page = await apiRequest<DispatchGroupList>(`${team(teamName)}/alerts/groups`, {
      query: { limit: 1000, continue: page?.continue },
      signal,
    });
    groups.push(...page.groups);
  }
  return { ...page!, groups };
}

const alertmanager = (teamName: string) => `${team(teamName)}/alertmanager/api/v2`;

export function listSilences(teamName: string, signal?: AbortSignal): Promise<GettableSilence[]> {
  return apiRequest<GettableSilence[]>(`${alertmanager(teamName)}/silences`, { signal });
}

export function createSilence(teamName: string, silence: PostableSilence): Promise<{ silenceID: string }> {
  return apiRequest<{ silenceID: string }>(`${alertmanager(teamName)}/silences`, {
    method: 'POST',
    body: silence,
  });
}

export function expireSilence(teamName: string, id: string): Promise<unknown> {
  return apiRequest<unknown>(`${alertmanager(teamName)}/silence/${encodeURIComponent(id)}`, {
    method: 'DELETE',
  });
}

export interface NotificationFilter {
  readonly channel?: string;
  readonly state?: NotificationState;
  readonly groupKey?: string;
}

/** The team's delivery log, newest first. */
export function listNotifications(
  teamName: string,
  filter: NotificationFilter,
  continueToken?: string,
  signal?: AbortSignal,
): Promise<NotificationList> {
  return apiRequest<NotificationList>(`${team(teamName)}/notifications`, {
    query: { ...filter, limit: 100, continue: continueToken },
    signal,
  });
}

export function getNotification(
  teamName: string,
  id: string,
  signal?: AbortSignal,
): Promise<NotificationDetail> {
  return apiRequest<NotificationDetail>(`${team(teamName)}/notifications/${encodeURIComponent(id)}`, {
    signal,
  });
}
