import { describe, expect, it } from 'vitest';
import { createCelEngine } from './cel-environment.ts';
import { TemplateRenderer } from './template-renderer.ts';

const context = { app: 'shop', component: 'web', namespace: 'prod', cluster: 'eu-1', revision: 3 };

function renderer() {
  const engine = createCelEngine();
  return { engine, renderer: new TemplateRenderer(engine) };
}

describe('TemplateRenderer', () => {
  it('replaces a whole-string expression by a value of its own type', () => {
    const { renderer: r } = renderer();
    const result = r.render(
      {
        replicas: '${parameter.replicas}',
        paused: '${parameter.paused}',
        ratio: '${parameter.ratio}',
        name: '${context.app}',
        next: '${parameter.replicas + 1}',
      },
      { parameter: { replicas: 3, paused: false, ratio: 0.5 }, context },
    );
    expect(result).toEqual({
      ok: true,
      value: { replicas: 3, paused: false, ratio: 0.5, name: 'shop', next: 4 },
    });
  });

  it('interpolates text around and between expressions as strings', () => {
    const { renderer: r } = renderer();
    const result = r.render(
      {
        image: '${parameter.image}:${parameter.tag}',
        name: '${context.app}-${context.component}-r${context.revision}',
      },
      { parameter: { image: 'nginx', tag: 1.25 }, context },
    );
    expect(result).toEqual({ ok: true, value: { image: 'nginx:1.25', name: 'shop-web-r3' } });
  });

  it('keeps $${ as a literal ${ and renders no expression there', () => {
    const { renderer: r } = renderer();
    const result = r.render(
      { command: 'echo $${HOME} ${parameter.who}', literal: '$${parameter.image}' },
      { parameter: { who: 'me' }, context },
    );
    expect(result).toEqual({
      ok: true,
      value: { command: 'echo ${HOME} me', literal: '${parameter.image}' },
    });
  });

  it('splices maps and lists from parameters into the object', () => {
    const { renderer: r } = renderer();
    const ports = [{ name: 'http', containerPort: 8080 }];
    const result = r.render(
      {
        metadata: { labels: '${parameter.labels}' },
        spec: {
          containers: [
            { name: 'main', ports: '${parameter.ports}', args: '${parameter.args.map(a, "--" + a)}' },
          ],
        },
      },
      { parameter: { labels: { tier: 'web', team: 'a' }, ports, args: ['v', 'debug'] }, context },
    );
    expect(result).toEqual({
      ok: true,
      value: {
        metadata: { labels: { tier: 'web', team: 'a' } },
        spec: { containers: [{ name: 'main', ports, args: ['--v', '--debug'] }] },
      },
    });
  });

  it('renders has() guards for optional parameters', () => {
    const { renderer: r } = renderer();
    const template = { replicas: '${has(parameter.replicas) ? parameter.replicas : 1}' };
    expect(r.render(template, { parameter: {}, context })).toEqual({ ok: true, value: { replicas: 1 } });
    expect(r.render(template, { parameter: { replicas: 5 }, context })).toEqual({
      ok: true,
      value: { replicas: 5 },
    });
  });

  it('omits an object field whose whole expression is null, but keeps literal nulls and list nulls', () => {
    const { renderer: r } = renderer();
    const result = r.render(
      {
        spec: {
          serviceAccountName: '${has(parameter.account) ? parameter.account : null}',
          explicit: null,
          items: ['${null}', 'a'],
        },
      },
      { parameter: {}, context },
    );
    expect(result).toEqual({ ok: true, value: { spec: { explicit: null, items: [null, 'a'] } } });
  });

  it('reports every error together, each with its JSON pointer and expression', () => {
    const { renderer: r } = renderer();
    const result = r.render(
      {
        spec: {
          template: {
            spec: {
              containers: [
                { image: '${parameter.image', name: '${parameter.name +}' },
                { image: '${parameter.missing}' },
              ],
            },
          },
        },
        'a/b': 'x-${parameter.other}',
      },
      { parameter: {}, context },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      {
        path: '/spec/template/spec/containers/0/image',
        expression: '${parameter.image',
        message: 'unterminated ${ at offset 0',
      },
      {
        path: '/spec/template/spec/containers/0/name',
        expression: 'parameter.name +',
        message: 'syntax error: 1:16: found + but expecting end of input',
      },
      {
        path: '/spec/template/spec/containers/1/image',
        expression: 'parameter.missing',
        message: 'field not found: missing (at column 10)',
      },
      { path: '/a~1b', expression: 'parameter.other', message: 'field not found: other (at column 10)' },
    ]);
  });

  it('converts int64 results to numbers when exact and refuses them otherwise', () => {
    const { renderer: r } = renderer();
    expect(r.render({ n: '${9007199254740991}', u: '${7u}' }, { parameter: {}, context })).toEqual({
      ok: true,
      value: { n: 9007199254740991, u: 7 },
    });
    expect(r.render({ spec: { n: '${9007199254740992}' } }, { parameter: {}, context })).toEqual({
      ok: false,
      errors: [
        {
          path: '/spec/n',
          expression: '9007199254740992',
          message: 'int 9007199254740992 is outside the range JSON numbers hold exactly (±2^53-1)',
        },
      ],
    });
  });

  it('refuses bytes, and writes timestamps and durations as RFC 3339 and Go duration strings', () => {
    const { renderer: r } = renderer();
    expect(
      r.render(
        {
          at: "${timestamp('2024-05-01T10:00:00.250Z')}",
          every: "${duration('90m')}",
          in: 'in ${duration("1.5s")}',
        },
        { parameter: {}, context },
      ),
    ).toEqual({ ok: true, value: { at: '2024-05-01T10:00:00.25Z', every: '1h30m0s', in: 'in 1.5s' } });
    expect(r.render({ b: "${b'x'}" }, { parameter: {}, context })).toEqual({
      ok: false,
      errors: [{ path: '/b', expression: "b'x'", message: 'bytes have no JSON form; use string(...)' }],
    });
  });

  it('refuses to interpolate a map, list or null into text', () => {
    const { renderer: r } = renderer();
    const result = r.render(
      { a: 'x ${parameter.labels}', b: 'y ${null}' },
      { parameter: { labels: {} }, context },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.path, e.expression, e.message])).toEqual([
      [
        '/a',
        'parameter.labels',
        'a map cannot be interpolated into a string; make the whole string one ${...} expression',
      ],
      [
        '/b',
        'null',
        'null cannot be interpolated into a string; make the whole string one ${...} expression',
      ],
    ]);
  });

  it('compiles an expression once however often it appears and however often it renders', () => {
    const { engine, renderer: r } = renderer();
    const template = {
      a: '${context.app}',
      b: ['${context.app}', 'x-${context.app}'],
      c: '${ context.app }',
    };
    for (let i = 0; i < 3; i += 1) {
      expect(r.render(template, { parameter: {}, context: { app: `app${i}` } })).toEqual({
        ok: true,
        value: { a: `app${i}`, b: [`app${i}`, `x-app${i}`], c: `app${i}` },
      });
    }
    expect(engine.compilations).toBe(1);
  });

  it('keeps non-string template values and finds braces inside CEL string and map literals', () => {
    const { renderer: r } = renderer();
    const result = r.render({ n: 1, t: true, s: "${ {'k': '}'}.k }", empty: '' }, { parameter: {}, context });
    expect(result).toEqual({ ok: true, value: { n: 1, t: true, s: '}', empty: '' } });
  });
});
