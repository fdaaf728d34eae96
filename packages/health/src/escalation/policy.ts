import type { EscalationPolicySpec } from '@gantry/model';
import { parseDuration } from '@gantry/alerts';

export interface CompiledEscalationPolicy {
  steps: { delayMs: number; channels: string[] }[];
  repeat?: { times: number; afterMs: number };
}

/** Where an escalation goes after a step: the next step and round, and how long after this one. */
export interface NextStep {
  step: number;
  round: number;
  delayMs: number;
}

/** Durations in milliseconds; admission has refused any that do not read, so one that does not is 0. */
export function compileEscalationPolicy(spec: EscalationPolicySpec): CompiledEscalationPolicy {
  const ms = (text: string | undefined, fallback: string) => {
    const parsed = parseDuration(text ?? fallback);
    return parsed.ok ? parsed.ms : 0;
  };
  return {
    steps: spec.steps.map((step) => ({ delayMs: ms(step.delay, '0s'), channels: [...step.channels] })),
    ...(spec.repeat ? { repeat: { times: spec.repeat.times, afterMs: ms(spec.repeat.after, '30m') } } : {}),
  };
}

/**
 * The step after `step` of `round`: the next in the list after its delay; after the last, the first again
 * (`repeat.after`, then the first step's own delay) while rounds remain; otherwise none.
 */
export function nextStep(
  policy: CompiledEscalationPolicy,
  step: number,
  round: number,
): NextStep | undefined {
  const following = policy.steps[step + 1];
  if (following) return { step: step + 1, round, delayMs: following.delayMs };
  if (policy.repeat && round < policy.repeat.times)
    return { step: 0, round: round + 1, delayMs: policy.repeat.afterMs + (policy.steps[0]?.delayMs ?? 0) };
  return undefined;
}
