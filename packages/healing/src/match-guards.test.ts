import { createCelEngine } from '@gantry/delivery';
import { describe, expect, it } from 'vitest';
import { matchGuards, passesGuards } from './match-guards.ts';

const engine = createCelEngine();

/** What the CEL itself says: true only when it evaluates to true. */
function celMatches(source: string, binding: unknown): boolean {
  const compiled = engine.compile(source);
  if (!compiled.ok) throw new Error(compiled.message);
  const result = compiled.program.evaluate({ exception: binding });
  return result.ok && result.value === true;
}

describe('match guards: string tests read off a match expression, never skipping a match', () => {
  it('reads ==, in, startsWith and contains of the trigger’s fields among the top-level && operands', () => {
    const guards = matchGuards(
      'exception.severity == "critical" && "x" == exception.cluster && exception.title.startsWith("Disk") && ' +
        '(exception.state in ["open", "acknowledged"] && exception.owner.name.contains("sre"))',
      'exception',
    );
    expect(guards.map((guard) => [guard.path.join('.'), guard.test])).toEqual([
      ['severity', { equals: new Set(['critical']) }],
      ['cluster', { equals: new Set(['x']) }],
      ['title', { prefix: 'Disk' }],
      ['state', { equals: new Set(['open', 'acknowledged']) }],
      ['owner.name', { contains: 'sre' }],
    ]);
  });

  it('leaves to the CEL what it cannot be sure of: ||, !, other variables, non-string literals, has()', () => {
    for (const source of [
      'exception.severity == "critical" || exception.title == "x"',
      '!(exception.severity == "critical")',
      'alert.severity == "critical"',
      'exception.count == 3',
      'exception.state in ["open", 1]',
      'has(exception.title)',
      'exception["title"] == "x"',
      'exception.title.endsWith("x")',
    ])
      expect(matchGuards(source, 'exception'), source).toEqual([]);
  });

  it('skips only triggers the CEL does not match, over a grid of expressions and bindings', () => {
    const sources = [
      'exception.severity == "critical" && exception.title.startsWith("Disk")',
      'exception.severity in ["critical", "major"] && size(exception.entities) < 5',
      'exception.title.contains("NotReady") && exception.state == "open"',
      '"major" == exception.severity',
      'exception.meta.zone == "z1" && exception.severity == "major"',
    ];
    const bindings: unknown[] = [
      { severity: 'critical', title: 'Disk full', state: 'open', entities: [] },
      { severity: 'major', title: 'NodeNotReady n1', state: 'open', entities: [1, 2] },
      { severity: 'major', title: 'NodeNotReady n1', state: 'resolved', entities: [] },
      { severity: 'minor', title: 'Disk', state: 'open', entities: [] },
      { title: 'Disk', state: 'open', entities: [] },
      { severity: 3, title: 'Disk', state: 'open', entities: [] },
      { severity: 'major', meta: { zone: 'z1' }, entities: [] },
      { severity: 'major', meta: { zone: 'z2' }, entities: [] },
      { severity: 'major', meta: 'z1', entities: [] },
    ];
    let skipped = 0;
    for (const source of sources) {
      const guards = matchGuards(source, 'exception');
      expect(guards.length, source).toBeGreaterThan(0);
      for (const binding of bindings) {
        const matches = celMatches(source, binding);
        const passes = passesGuards(guards, binding);
        if (matches) expect(passes, `${source} on ${JSON.stringify(binding)}`).toBe(true);
        if (!passes) skipped += 1;
      }
    }
    // The guards do prune: most of the grid never reaches the CEL.
    expect(skipped).toBeGreaterThan(20);
  });
});
