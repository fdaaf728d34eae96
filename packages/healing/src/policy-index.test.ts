import { describe, expect, it } from 'vitest';
import type { HealingTriggerView } from './ports.ts';
import { PolicyIndex } from './policy-index.ts';
import { MemoryPolicySource, node, nodePolicyInput, TEAM } from './test-support.ts';

const exception = (title: string, severity: string): HealingTriggerView => {
  const entity = node('n1');
  return {
    kind: 'exception',
    team: TEAM,
    id: title,
    active: true,
    since: '2026-01-01T00:00:00.000Z',
    entities: [entity],
    binding: { title, severity, state: 'open', entities: [{ kind: 'Node', name: entity.name }] },
    alerts: [],
  };
};

describe('PolicyIndex.warm', () => {
  it('evaluates every policy past its guards, and changes no answer', () => {
    const source = new MemoryPolicySource();
    const matches = [
      'exception.title.contains("NotReady") && exception.severity in ["critical", "major"]',
      'exception.title.startsWith("Disk") && exception.severity == "critical"',
      'exception.severity == "minor" && size(exception.entities) > 0',
    ];
    const policies = matches.map((match, i) =>
      source.add(`p${i}`, nodePolicyInput({ trigger: { exceptions: { match } } })),
    );
    const seen: unknown[][] = policies.map(() => []);
    policies.forEach((policy, i) => {
      if (policy.trigger.kind === 'condition') throw new Error('an exception policy');
      const program = policy.trigger.match;
      const evaluate = program.evaluate.bind(program);
      program.evaluate = (bindings) => {
        const result = evaluate(bindings);
        seen[i]!.push(result.ok ? result.value : 'error');
        return result;
      };
    });
    const index = new PolicyIndex(policies);
    const triggers = [
      exception('NodeNotReady on n1', 'major'),
      exception('Disk full', 'critical'),
      exception('Slow', 'minor'),
      exception('Other', 'info'),
    ];
    const names = () => triggers.map((t) => index.match(t).map((m) => m.policy.name));
    const before = names();
    for (const list of seen) list.length = 0;
    index.warm(2);
    // Each policy ran twice, over a binding that passes its guards: the first two get past them (true
    // with the guards' own values), the third's `size()` of an empty list is false.
    expect(seen).toEqual([
      [true, true],
      [true, true],
      [false, false],
    ]);
    expect(names()).toEqual(before);
    expect(before).toEqual([['p0'], ['p1'], ['p2'], []]);
  });
});
