import { describe, expect, it } from 'vitest';
import { kubernetesKind, parseObjectRef } from './kube-kinds.ts';

describe('kubernetesKind', () => {
  it("turns kubectl's names into the kind events record", () => {
    expect(kubernetesKind('po')).toBe('Pod');
    expect(kubernetesKind('pods')).toBe('Pod');
    expect(kubernetesKind('Deploy')).toBe('Deployment');
    expect(kubernetesKind('cm')).toBe('ConfigMap');
    expect(kubernetesKind('node')).toBe('Node');
  });

  it('passes a kind written as a kind (custom resources), and refuses other words', () => {
    expect(kubernetesKind('SparkApplication')).toBe('SparkApplication');
    expect(() => kubernetesKind('sparkapp')).toThrow(/unknown kind "sparkapp"/);
  });
});

describe('parseObjectRef', () => {
  it('splits KIND/NAME', () => {
    expect(parseObjectRef('pod/web-0')).toEqual({ kind: 'Pod', name: 'web-0' });
    expect(parseObjectRef('Node/worker-1')).toEqual({ kind: 'Node', name: 'worker-1' });
  });

  it('refuses anything else', () => {
    for (const bad of ['web-0', '/web', 'pod/', 'pod/a/b'])
      expect(() => parseObjectRef(bad), bad).toThrow(/use KIND\/NAME/);
  });
});
