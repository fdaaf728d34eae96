import type { StoredHealingRun } from '@gantry/store';
import type { HealingRunData } from './healing-controller.ts';
import type { TriggerKind, TriggerSource } from './ports.ts';
import { HealingPhase } from './reasons.ts';

/** How a policy in shadow mode would have done: what it would have run, and what became of the triggers. */
export interface ShadowScorecard {
  policy: string;
  runs: number;
  /** Would-be actions by name (`escalate` for the runs it would have handed to a person). */
  wouldRun: Record<string, number>;
  /** Triggers that ended without anyone acting on them (the action would likely have been needless). */
  resolvedWithoutAction: number;
  /** Triggers still active now (the action might have helped; a person had to). */
  stillActive: number;
  /** Diagnoses that stopped on a failed evidence query or branch. */
  diagnosisIncomplete: number;
}

/**
 * Scores a policy's shadow runs against what happened: each run's trigger is read again now. Read-only;
 * for the console's scorecard and the API's statistics (next steps).
 */
export async function shadowScorecard(
  runs: readonly StoredHealingRun[],
  triggers: Pick<TriggerSource, 'get'>,
): Promise<ShadowScorecard[]> {
  const cards = new Map<string, ShadowScorecard>();
  for (const run of runs) {
    if (run.phase !== HealingPhase.Shadowed) continue;
    const card = cards.get(run.policy) ?? {
      policy: run.policy,
      runs: 0,
      wouldRun: {},
      resolvedWithoutAction: 0,
      stillActive: 0,
      diagnosisIncomplete: 0,
    };
    cards.set(run.policy, card);
    card.runs += 1;
    const data = run.data as unknown as HealingRunData;
    // A shadow run that did not choose an action would have escalated (a freeze, a failed diagnosis...).
    const would = data.chosen ?? 'escalate';
    card.wouldRun[would] = (card.wouldRun[would] ?? 0) + 1;
    if (data.diagnosis && !data.diagnosis.conclusion) card.diagnosisIncomplete += 1;
    const trigger = await triggers.get(run.team, data.trigger.kind as TriggerKind, data.trigger.id);
    if (trigger?.active && trigger.since === data.trigger.since) card.stillActive += 1;
    else card.resolvedWithoutAction += 1;
  }
  return [...cards.values()].sort((x, y) => x.policy.localeCompare(y.policy));
}
