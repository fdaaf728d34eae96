import type {
  ChangeActionName,
  ChangeActionRecord,
  ChangeJournal,
  ChangeSpec,
  ChangeStatus,
  LineStop,
  LineStopList,
  Resource,
} from '@gantry/model';
import { changeSummary } from '@gantry/client';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { formatAge, formatTable, toJson } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
import { openSession, type Session } from '../session.ts';

type Change = Resource<ChangeSpec, ChangeStatus>;

function checkFormat(format: string, allowed: readonly string[]): void {
  if (!allowed.includes(format))
    throw new CliError(`unknown output format "${format}" (one of: ${allowed.join(', ')})`);
}

async function changeKind(session: Session) {
  return session.resolveKind('Change');
}

/** `gantry change get [NAME]`: the team's changes (or one) with phase, batch and what holds them. */
export async function getChanges(
  env: CommandEnv,
  name: string | undefined,
  options: { team?: string; output?: string; noHeaders?: boolean },
): Promise<void> {
  const format = options.output ?? 'table';
  checkFormat(format, ['table', 'json', 'yaml', 'name']);
  const session = await openSession(env, options.team);
  const kind = await changeKind(session);
  const items = name
    ? [(await session.client.get(kind, name, session.team)) as Change]
    : ((await session.client.list(kind, { team: session.team })).items as Change[]);
  if (format === 'json' || format === 'yaml') {
    env.io.out((format === 'json' ? toJson : toYaml)(name ? items[0] : { items }));
    return;
  }
  if (format === 'name') {
    env.io.out(items.map((item) => `change/${item.metadata.name}\n`).join(''));
    return;
  }
  if (items.length === 0) {
    env.io.err(`No changes found in team ${session.team}.\n`);
    return;
  }
  const now = env.io.now();
  env.io.out(
    formatTable(
      ['NAME', 'ACTION', 'PHASE', 'BATCH', 'TARGETS', 'AGE', 'MESSAGE'],
      items.map((item) => {
        const status = item.status ?? {};
        const batches = status.batches?.length ?? 0;
        return [
          item.metadata.name,
          changeSummary(item.spec),
          status.phase ?? 'Pending',
          status.currentBatch !== undefined
            ? `${status.currentBatch + 1}/${batches}`
            : batches
              ? `${batches}/${batches}`
              : '',
          status.targetCount !== undefined ? String(status.targetCount) : '',
          formatAge(item.metadata.creationTimestamp, now),
          status.message ?? '',
        ];
      }),
      { noHeaders: options.noHeaders === true },
    ),
  );
}

/** `gantry change describe NAME`: the change, its batches as a timeline, and its journal's last steps. */
export async function describeChange(
  env: CommandEnv,
  name: string,
  options: { team?: string; steps?: string },
): Promise<void> {
  const steps = options.steps === undefined ? 20 : Number(options.steps);
  if (!(steps >= 0)) throw new CliError(`invalid --steps "${options.steps}": a number from 0`);
  const session = await openSession(env, options.team);
  const change = (await session.client.get(await changeKind(session), name, session.team)) as Change;
  const journal: ChangeJournal = { items: [] };
  let token: string | undefined;
  do {
    const page: ChangeJournal = await session.client.request<ChangeJournal>(
      'GET',
      `/api/teams/${encodeURIComponent(session.team)}/changes/${encodeURIComponent(name)}/journal`,
      { query: { limit: '5000', continue: token } },
    );
    journal.items.push(...page.items);
    token = page.continue;
  } while (token);
  const status = change.status ?? {};
  const spec = change.spec;
  const targets = spec.targets.names
    ? `${spec.targets.names.length} named`
    : `selector "${spec.targets.selector ?? ''}"${spec.targets.clusters ? ` in ${spec.targets.clusters.join(', ')}` : ''}`;
  const lines = [
    `Name:        ${change.metadata.name}`,
    `Team:        ${session.team}`,
    `Action:      ${changeSummary(spec)}`,
    `Targets:     ${targets}${status.targetCount !== undefined ? ` → ${status.targetCount} resolved` : ''}`,
    `Plan:        ${spec.plan.batches.map((b) => `${b.size}${b.repeat ? '…' : ''} then ${b.bake}`).join(', ')}; ${spec.plan.maxConcurrent} at once`,
    `On failure:  ${spec.failurePolicy}`,
    `Windows:     ${spec.windows.length > 0 ? spec.windows.join(', ') : '(none named)'}`,
    `Phase:       ${status.phase ?? 'Pending'}`,
    `Message:     ${status.message ?? ''}`,
    ...(status.waitingUntil ? [`Waiting until: ${status.waitingUntil}`] : []),
    ...(status.paused
      ? [`Paused:      by ${status.paused.actor} at ${status.paused.at}: ${status.paused.reason}`]
      : []),
    ...(status.aborted
      ? [`Aborted:     by ${status.aborted.actor} at ${status.aborted.at}: ${status.aborted.reason}`]
      : []),
    '',
  ];
  env.io.out(lines.join('\n') + '\n');
  if (status.batches && status.batches.length > 0) {
    env.io.out('Batches:\n');
    env.io.out(
      formatTable(
        ['#', 'PHASE', 'ENTITIES', 'APPLIED', 'FAILED', 'BAKE', 'STARTED', 'OBSERVE UNTIL', 'COMPLETED'],
        status.batches.map((batch) => [
          String(batch.index + 1),
          batch.phase,
          batch.entities.length <= 3
            ? batch.entities.join(' ')
            : `${batch.entities.slice(0, 2).join(' ')} +${batch.entities.length - 2}`,
          String(batch.applied),
          batch.failed.map((failure) => failure.entity).join(' '),
          batch.bake,
          batch.startedAt ?? '',
          batch.observeUntil ?? '',
          batch.completedAt ?? '',
        ]),
        { noHeaders: false },
      ),
    );
    env.io.out('\n');
    const gates = status.batches.flatMap((batch) => [
      ...(batch.approval && batch.approval.state !== 'Waiting'
        ? [
            {
              batch: batch.index,
              gate: 'approval',
              verdict: batch.approval.state,
              message: `${batch.approval.actor}: ${batch.approval.reason}`,
            },
          ]
        : []),
      ...(batch.gates ?? []).map((gate) => ({
        batch: batch.index,
        gate: `${gate.gate}#${gate.round}`,
        verdict: gate.verdict,
        message: `${gate.message}${gate.observed ? ` [${gate.observed.query}]` : ''}`,
      })),
    ]);
    if (gates.length > 0) {
      env.io.out('Gates:\n');
      env.io.out(
        formatTable(
          ['BATCH', 'GATE', 'VERDICT', 'DETAIL'],
          gates.map((gate) => [String(gate.batch + 1), gate.gate, gate.verdict, gate.message]),
          { noHeaders: false },
        ),
      );
      env.io.out('\n');
    }
  }
  if (status.rollback) {
    const rollback = status.rollback;
    env.io.out(
      `Rollback:    ${rollback.phase} (${rollback.cause}) by ${rollback.actor} at ${rollback.startedAt}: ${rollback.reason}\n`,
    );
    env.io.out(
      formatTable(
        ['BATCH', 'PHASE', 'ENTITIES', 'UNDONE', 'FAILED', 'OBSERVE UNTIL', 'COMPLETED'],
        rollback.batches.map((batch) => [
          String(batch.index + 1),
          batch.phase,
          String(batch.entities.length),
          String(batch.undone),
          batch.failed.map((failure) => failure.entity).join(' '),
          batch.observeUntil ?? '',
          batch.completedAt ?? '',
        ]),
        { noHeaders: false },
      ),
    );
    env.io.out('\n');
  }
  for (const exception of status.exceptions ?? [])
    env.io.out(
      `Exception:   ${exception.id} ${exception.link} at ${exception.at}${exception.title ? `: ${exception.title}` : ''}\n`,
    );
  if (steps > 0 && journal.items.length > 0) {
    env.io.out(`Journal (last ${Math.min(steps, journal.items.length)} of ${journal.items.length} steps):\n`);
    env.io.out(
      formatTable(
        ['SEQ', 'TIME', 'STEP', 'BATCH', 'ENTITY', 'TERM', 'DETAIL'],
        journal.items
          .slice(-steps)
          .map((entry) => [
            String(entry.seq),
            entry.at,
            entry.type,
            entry.batch !== undefined ? String(entry.batch + 1) : '',
            entry.entity ?? '',
            entry.term,
            detail(entry.data),
          ]),
        { noHeaders: false },
      ),
    );
  }
}

function detail(data: Record<string, unknown>): string {
  if (typeof data.actor === 'string') return `${data.actor}: ${String(data.reason ?? '')}`;
  if (typeof data.status === 'string')
    return `${data.status}${data.message ? ` ${String(data.message)}` : ''}`;
  if (typeof data.observeUntil === 'number') return `until ${new Date(data.observeUntil).toISOString()}`;
  return '';
}

/** `gantry change pause|resume|abort NAME --reason TEXT`. */
export async function actOnChange(
  env: CommandEnv,
  name: string,
  act: ChangeActionName,
  options: { team?: string; reason?: string },
): Promise<void> {
  if (!options.reason) throw new CliError(`--reason is required: say why you ${act} the change`);
  const session = await openSession(env, options.team);
  const record = await session.client.request<ChangeActionRecord>(
    'POST',
    `/api/teams/${encodeURIComponent(session.team)}/changes/${encodeURIComponent(name)}/${act}`,
    { body: { reason: options.reason } },
  );
  env.io.out(`change/${name} ${act} requested by ${record.actor} (the engine acts at its next step)\n`);
}

/** `gantry change stop-the-line|release-the-line --reason TEXT [--fleet]`. */
export async function lineSwitch(
  env: CommandEnv,
  release: boolean,
  options: { team?: string; reason?: string; fleet?: boolean },
): Promise<void> {
  if (!options.reason) throw new CliError('--reason is required: say why');
  const session = await openSession(env, options.team);
  const base = options.fleet
    ? '/api/stop-the-line'
    : `/api/teams/${encodeURIComponent(session.team)}/stop-the-line`;
  const scope = options.fleet ? 'the fleet' : `team ${session.team}`;
  if (release) {
    const released = await session.client.request<{ items: LineStop[] }>('POST', `${base}/release`, {
      body: { reason: options.reason },
    });
    env.io.out(
      released.items.length > 0
        ? `line of ${scope} released (${released.items.length} stop(s))\n`
        : `the line of ${scope} was not stopped\n`,
    );
    return;
  }
  const stop = await session.client.request<LineStop>('POST', base, { body: { reason: options.reason } });
  env.io.out(`line of ${scope} stopped by ${stop.stoppedBy}: every change halts at its next step\n`);
}

/** `gantry change line`: the newest stops of the team's line and the fleet's. */
export async function listLineStops(
  env: CommandEnv,
  options: { team?: string; output?: string },
): Promise<void> {
  const format = options.output ?? 'table';
  checkFormat(format, ['table', 'json', 'yaml']);
  const session = await openSession(env, options.team);
  const list = await session.client.request<LineStopList>(
    'GET',
    `/api/teams/${encodeURIComponent(session.team)}/stop-the-line`,
  );
  if (format !== 'table') {
    env.io.out((format === 'json' ? toJson : toYaml)(list));
    return;
  }
  if (list.items.length === 0) {
    env.io.err('The line has never been stopped.\n');
    return;
  }
  env.io.out(
    formatTable(
      ['SCOPE', 'STATE', 'STOPPED BY', 'AT', 'REASON', 'RELEASED BY', 'RELEASE REASON'],
      list.items.map((stop) => [
        stop.team === '' ? 'fleet' : stop.team,
        stop.releasedAt ? 'released' : 'STOPPED',
        stop.stoppedBy,
        stop.stoppedAt,
        stop.reason,
        stop.releasedBy ?? '',
        stop.releaseReason ?? '',
      ]),
      { noHeaders: false },
    ),
  );
}
