import type { DrainHolds } from '@gantry/fleet';
import { actuationOf } from '@gantry/model';
import {
  holdKey,
  type ChangeRepository,
  type DisruptionHoldRepository,
  type ResourceRepository,
  type StoredDisruptionHold,
} from '@gantry/store';
import type { DisruptionBudgets, DisruptionHolding } from './budget.ts';
import { holdingsOf } from './engine.ts';
import type { ChangeObject } from './gates.ts';
import { emptyState, fold } from './journal.ts';

/** Counts of a drain's hold retried when other holds came and went in between. */
const MAX_ATTEMPTS = 5;

const ENDED = ['Succeeded', 'Aborted', 'Failed', 'RolledBack'];

/** The nodes the team's running node-operation Changes have out now, from their journals. */
export async function changeNodeHoldings(
  repository: Pick<ResourceRepository, 'list'>,
  journal: Pick<ChangeRepository, 'entries'>,
  team: string,
): Promise<DisruptionHolding[]> {
  const page = await repository.list({ kind: 'Change', teams: [team], limit: 100_000 });
  const holdings: DisruptionHolding[] = [];
  for (const item of page.items) {
    const change = JSON.parse(item.json) as ChangeObject;
    if (change.status?.phase && ENDED.includes(change.status.phase)) continue;
    if (actuationOf(change.spec) !== 'nodeOperation') continue;
    const state = fold(emptyState(), await journal.entries(change.metadata.uid));
    holdings.push(...holdingsOf(change.metadata.name, 'Node', state));
  }
  return holdings;
}

/**
 * Drains by hand hold the shared disruption budget (ADR 0033): the team's budget epoch is read, then the
 * team's budgets are asked with every node out now — the changes' in flight and the live holds — and the
 * hold is written only if they allow it and the epoch has not moved (no other taker, a change's step or
 * another drain on any server, took in between; else counted again). The hold expires after the drain's
 * time (a server that dies in the middle of a drain does not hold the budget for ever) and is released
 * when the drain ends.
 */
export class StoreDrainHolds implements DrainHolds {
  constructor(
    private readonly deps: {
      holds: Pick<DisruptionHoldRepository, 'acquireIf' | 'epoch' | 'live' | 'release'>;
      repository: Pick<ResourceRepository, 'list'>;
      journal: Pick<ChangeRepository, 'entries'>;
      budgets: DisruptionBudgets;
      now: () => number;
    },
  ) {}

  async acquire(request: Parameters<DrainHolds['acquire']>[0]): ReturnType<DrainHolds['acquire']> {
    const now = this.deps.now();
    const hold: StoredDisruptionHold = {
      team: request.team,
      entityKind: 'Node',
      entity: `${request.cluster}/${request.node}`,
      holder: request.holder,
      acquiredAt: new Date(now).toISOString(),
      expiresAt: new Date(now + request.ttlMs).toISOString(),
    };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // The epoch first: a take committed after this read moves it, and this hold is then counted again.
      const epoch = await this.deps.holds.epoch(request.team);
      const live = await this.deps.holds.live(request.team, hold.acquiredAt);
      const same = live.find((other) => holdKey(other) === holdKey(hold));
      if (same) return { ok: false, message: `node ${hold.entity} is held already by ${same.holder}` };
      const holdings = [
        ...(await changeNodeHoldings(this.deps.repository, this.deps.journal, request.team)),
        ...live.map((other) => ({
          entityKind: other.entityKind,
          entity: other.entity,
          holder: other.holder,
        })),
      ];
      const answer = await this.deps.budgets.acquire({
        team: request.team,
        entityKind: 'Node',
        entity: hold.entity,
        holder: hold.holder,
        holdings,
      });
      if (!answer.ok) return { ok: false, message: answer.message };
      const tried = await this.deps.holds.acquireIf(hold, epoch);
      if (tried.ok) return this.#held(hold);
      if (tried.reason === 'Held')
        return { ok: false, message: `node ${hold.entity} is held already by ${tried.holder}` };
    }
    return { ok: false, message: `the holds of team ${request.team} kept changing; try again` };
  }

  #held(hold: StoredDisruptionHold): { ok: true; hold: { release(): Promise<void> } } {
    return {
      ok: true,
      hold: {
        release: () => this.deps.holds.release(hold.team, hold.entityKind, hold.entity, hold.holder),
      },
    };
  }
}
