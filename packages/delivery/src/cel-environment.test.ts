import { describe, expect, it } from 'vitest';
import { createCelEngine } from './cel-environment.ts';

function evaluate(source: string, bindings: Record<string, unknown> = {}) {
  const compiled = createCelEngine().compile(source);
  if (!compiled.ok) return compiled;
  return compiled.program.evaluate(bindings);
}

describe('createCelEngine', () => {
  it('evaluates the standard library and the strings extension', () => {
    expect(evaluate("'Shop-Web'.lowerAscii().replace('-', '_')")).toEqual({ ok: true, value: 'shop_web' });
    expect(evaluate('[1, 2, 3].exists(x, x > 2)')).toEqual({ ok: true, value: true });
  });

  it('binds integral JSON numbers as int and others as double', () => {
    expect(evaluate('p.replicas + 1', { p: { replicas: 2 } })).toEqual({ ok: true, value: 3n });
    expect(evaluate('p.ratio * 2.0', { p: { ratio: 0.25 } })).toEqual({ ok: true, value: 0.5 });
    expect(evaluate('type(p.n) == int && type(p.d) == double', { p: { n: 1, d: 1.5 } })).toEqual({
      ok: true,
      value: true,
    });
  });

  it('treats an undefined field as absent', () => {
    expect(evaluate('has(p.x)', { p: { x: undefined } })).toEqual({ ok: true, value: false });
  });

  it('caches compiled programs by source text, including failures', () => {
    const engine = createCelEngine();
    const first = engine.compile('a + 1');
    expect(engine.compile('a + 1')).toBe(first);
    expect(engine.compile('a +')).toBe(engine.compile('a +'));
    expect(engine.compilations).toBe(2);
  });

  it('forgets the oldest program when the cache is full', () => {
    const engine = createCelEngine({ cacheSize: 2 });
    engine.compile('1');
    engine.compile('2');
    engine.compile('3');
    engine.compile('3');
    engine.compile('1');
    expect(engine.compilations).toBe(4);
  });

  it('rejects expressions longer than 4 KiB before parsing them', () => {
    const long = `'${'a'.repeat(4095)}'`;
    expect(evaluate(long)).toEqual({
      ok: false,
      message: 'expression is 4097 characters long; the limit is 4096',
    });
    expect(evaluate(`'${'a'.repeat(4094)}'`)).toEqual({ ok: true, value: 'a'.repeat(4094) });
  });

  it('rejects comprehensions nested deeper than the limit, whose cost grows as size^depth', () => {
    expect(evaluate('l.map(x, l.map(y, x * y))', { l: [1, 2] }).ok).toBe(true);
    expect(evaluate('l.map(x, l.map(y, l.map(z, x * y * z)))', { l: [1] })).toEqual({
      ok: false,
      message: 'comprehensions are nested 3 deep; the limit is 2',
    });
  });

  it('stops an evaluation whose comprehensions would iterate more than the budget, before the loop runs', () => {
    const uniqueness = createCelEngine().compile('l.all(x, l.exists_one(y, y == x))');
    if (!uniqueness.ok) throw new Error(uniqueness.message);
    const list = (length: number) => ({ l: Array.from({ length }, (_, i) => i) });
    // 300 + 300 × 300 = 90,300 iterations fit in 100,000; 1,000 + 1,000 × 1,000 do not.
    expect(uniqueness.program.evaluate(list(300))).toEqual({ ok: true, value: true });
    expect(uniqueness.program.evaluate(list(1000))).toEqual({
      ok: false,
      message: 'the expression needs more than 100000 comprehension iterations (the limit)',
    });
    // Each evaluation has its own budget.
    expect(uniqueness.program.evaluate(list(300))).toEqual({ ok: true, value: true });

    const engine = createCelEngine({ limits: { maxIterations: 10 } });
    const sum = engine.compile('l.map(x, x * 2).size() + m.filter(k, k != "").size()');
    if (!sum.ok) throw new Error(sum.message);
    expect(sum.program.evaluate({ l: [1, 2, 3, 4, 5, 6, 7, 8], m: { a: 1, b: 2 } })).toEqual({
      ok: true,
      value: 10n,
    });
    expect(sum.program.evaluate({ l: [1, 2, 3, 4, 5, 6, 7, 8], m: { a: 1, b: 2, c: 3 } }).ok).toBe(false);
    // A comprehension never reached costs nothing.
    const skipped = engine.compile('size(l) > 100 && l.all(x, x > 0)');
    if (!skipped.ok) throw new Error(skipped.message);
    expect(skipped.program.evaluate({ l: Array.from({ length: 50 }, () => 1) })).toEqual({
      ok: true,
      value: false,
    });
  });

  it('rejects expressions with too many nodes', () => {
    const engine = createCelEngine({ limits: { maxAstNodes: 10 } });
    const compiled = engine.compile('1 + 2 + 3 + 4 + 5 + 6');
    expect(compiled).toEqual({ ok: false, message: 'expression has 11 nodes; the limit is 10' });
  });

  it('reports syntax and evaluation errors as values with a position', () => {
    expect(evaluate('a ==')).toEqual({
      ok: false,
      message: 'syntax error: 1:3: found = but expecting end of input',
    });
    expect(evaluate('')).toEqual({ ok: false, message: 'expression is empty' });
    expect(evaluate('a.b', { a: {} })).toEqual({ ok: false, message: 'field not found: b (at column 2)' });
    expect(evaluate('1 / a', { a: 0 })).toMatchObject({
      ok: false,
      message: expect.stringContaining('divide by zero'),
    });
    expect(evaluate('undeclared')).toEqual({ ok: false, message: 'unresolved attribute (at column 1)' });
  });

  it('converts one bindings object once, however many expressions read it', () => {
    const engine = createCelEngine();
    let reads = 0;
    const parameter = {
      get replicas() {
        reads += 1;
        return 2;
      },
    };
    const bindings = { parameter };
    for (const source of ['parameter.replicas + 1', 'parameter.replicas * 2', 'has(parameter.replicas)']) {
      const compiled = engine.compile(source);
      expect(compiled.ok && compiled.program.evaluate(bindings).ok).toBe(true);
    }
    expect(reads).toBe(1);
    const compiled = engine.compile('parameter.replicas');
    if (compiled.ok) compiled.program.evaluate({ parameter });
    expect(reads).toBe(2);
  });
});
