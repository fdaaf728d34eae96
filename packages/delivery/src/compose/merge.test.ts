import { describe, expect, it } from 'vitest';
import { mergePatch } from './merge.ts';

describe('mergePatch', () => {
  it('merges objects recursively, keeps the target order and appends new fields', () => {
    const target = { metadata: { name: 'web', labels: { a: '1' } }, spec: { replicas: 1 } };
    const patch = { spec: { paused: true }, metadata: { labels: { b: '2' } }, status: { x: 1 } };
    const merged = mergePatch(target, patch);
    expect(merged).toEqual({
      metadata: { name: 'web', labels: { a: '1', b: '2' } },
      spec: { replicas: 1, paused: true },
      status: { x: 1 },
    });
    expect(JSON.stringify(merged)).toBe(
      '{"metadata":{"name":"web","labels":{"a":"1","b":"2"}},"spec":{"replicas":1,"paused":true},"status":{"x":1}}',
    );
  });

  it('deletes a field patched with null, and leaves no null behind where the target had nothing', () => {
    expect(
      mergePatch({ a: 1, b: { c: 2, d: 3 } }, { a: null, b: { d: null, e: { f: null, g: 1 } } }),
    ).toEqual({
      b: { c: 2, e: { g: 1 } },
    });
  });

  it('replaces scalars, objects by scalars, and lists that are not keyed', () => {
    expect(mergePatch({ a: { b: 1 } }, { a: 'x' })).toEqual({ a: 'x' });
    expect(mergePatch({ args: ['a', 'b'] }, { args: ['c'] })).toEqual({ args: ['c'] });
    expect(mergePatch({ tolerations: [{ key: 'a' }] }, { tolerations: [{ key: 'b' }] })).toEqual({
      tolerations: [{ key: 'b' }],
    });
    expect(mergePatch({ envFrom: [{ name: 'a' }] }, { envFrom: [{ name: 'b' }] })).toEqual({
      envFrom: [{ name: 'b' }],
    });
    expect(mergePatch(1, { a: 1 })).toEqual({ a: 1 });
    expect(mergePatch({ a: 1 }, 'x')).toBe('x');
  });

  it('merges containers by name: a matching one is merged in place, a new one appended in patch order', () => {
    const target = {
      spec: {
        containers: [
          { name: 'web', image: 'nginx', env: [{ name: 'A', value: '1' }] },
          { name: 'proxy', image: 'envoy' },
        ],
      },
    };
    const patch = {
      spec: {
        containers: [
          { name: 'log', image: 'fluent-bit' },
          {
            name: 'web',
            env: [
              { name: 'B', value: '2' },
              { name: 'A', value: 'one' },
            ],
          },
          { name: 'audit', image: 'audit' },
        ],
      },
    };
    expect(mergePatch(target, patch)).toEqual({
      spec: {
        containers: [
          {
            name: 'web',
            image: 'nginx',
            env: [
              { name: 'A', value: 'one' },
              { name: 'B', value: '2' },
            ],
          },
          { name: 'proxy', image: 'envoy' },
          { name: 'log', image: 'fluent-bit' },
          { name: 'audit', image: 'audit' },
        ],
      },
    });
  });

  it('merges every name-keyed list of the pod API by name', () => {
    for (const field of ['initContainers', 'ephemeralContainers', 'env', 'volumes', 'imagePullSecrets']) {
      const merged = mergePatch(
        { [field]: [{ name: 'a', x: 1 }] },
        { [field]: [{ name: 'a', y: 2 }, { name: 'b' }] },
      );
      expect(merged, field).toEqual({ [field]: [{ name: 'a', x: 1, y: 2 }, { name: 'b' }] });
    }
  });

  it('merges volumeMounts by mountPath', () => {
    const merged = mergePatch(
      { volumeMounts: [{ name: 'data', mountPath: '/data' }] },
      {
        volumeMounts: [
          { name: 'data', mountPath: '/data', readOnly: true },
          { name: 'data', mountPath: '/backup' },
        ],
      },
    );
    expect(merged).toEqual({
      volumeMounts: [
        { name: 'data', mountPath: '/data', readOnly: true },
        { name: 'data', mountPath: '/backup' },
      ],
    });
  });

  it('merges container ports by containerPort and Service ports by port', () => {
    expect(
      mergePatch(
        { ports: [{ containerPort: 80, name: 'http' }] },
        {
          ports: [
            { containerPort: 80, protocol: 'TCP' },
            { containerPort: 9090, name: 'metrics' },
          ],
        },
      ),
    ).toEqual({
      ports: [
        { containerPort: 80, name: 'http', protocol: 'TCP' },
        { containerPort: 9090, name: 'metrics' },
      ],
    });
    expect(
      mergePatch(
        { ports: [{ port: 80, targetPort: 8080 }] },
        { ports: [{ port: 80, name: 'http' }, { port: 443 }] },
      ),
    ).toEqual({
      ports: [{ port: 80, targetPort: 8080, name: 'http' }, { port: 443 }],
    });
  });

  it('replaces a keyed list when an element lacks the key', () => {
    expect(mergePatch({ ports: [{ containerPort: 80 }] }, { ports: [{ port: 80 }] })).toEqual({
      ports: [{ port: 80 }],
    });
    expect(mergePatch({ env: [{ name: 'A' }] }, { env: [{ value: 'x' }] })).toEqual({
      env: [{ value: 'x' }],
    });
  });

  it('merges a keyed list the target lacks into an empty one, dropping the nulls of its elements', () => {
    expect(mergePatch({ spec: {} }, { spec: { volumes: [{ name: 'a', emptyDir: null }] } })).toEqual({
      spec: { volumes: [{ name: 'a' }] },
    });
  });

  it('takes the field name from path for a list at the root', () => {
    expect(mergePatch([{ name: 'a', x: 1 }], [{ name: 'a', y: 2 }], '/spec/containers')).toEqual([
      { name: 'a', x: 1, y: 2 },
    ]);
    expect(mergePatch([{ name: 'a', x: 1 }], [{ name: 'a', y: 2 }])).toEqual([{ name: 'a', y: 2 }]);
    expect(mergePatch({ a: [{ name: 'x' }] }, { a: [{ name: 'y' }] }, '/spec/template')).toEqual({
      a: [{ name: 'y' }],
    });
  });

  it('never changes its inputs, and the result shares no object with them', () => {
    const target = {
      spec: { containers: [{ name: 'web', image: 'a', env: [{ name: 'A' }] }], keep: { deep: [1] } },
    };
    const patch = {
      spec: {
        containers: [
          { name: 'web', image: 'b' },
          { name: 'new', image: 'c', env: [{ name: 'B' }] },
        ],
      },
    };
    const targetCopy = structuredClone(target);
    const patchCopy = structuredClone(patch);
    const merged = mergePatch(target, patch) as typeof target;
    expect(target).toEqual(targetCopy);
    expect(patch).toEqual(patchCopy);
    expect(merged.spec.keep).not.toBe(target.spec.keep);
    expect(merged.spec.keep.deep).not.toBe(target.spec.keep.deep);
    expect(merged.spec.containers[0]!.env).not.toBe(target.spec.containers[0]!.env);
    expect(merged.spec.containers[1]).not.toBe(patch.spec.containers[1]);
    (merged.spec.containers[1] as { env: unknown[] }).env.push('x');
    expect(patch.spec.containers[1]!.env).toEqual([{ name: 'B' }]);
  });
});
