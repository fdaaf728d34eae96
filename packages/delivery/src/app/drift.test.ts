import { describe, expect, it } from 'vitest';
import { MemoryEventRecorder } from '@gantry/controllers';
import type { KubeObject } from '@gantry/fleet';
import { appliedFields, detectDrift, displayPath, DriftDetector, ownedFields, valueAt } from './drift.ts';
import { APP_LABEL, TEAM_LABEL } from './revisions.ts';

const gantryFields = {
  'f:metadata': { 'f:labels': { [`f:${APP_LABEL}`]: {}, [`f:${TEAM_LABEL}`]: {} } },
  'f:spec': {
    'f:replicas': {},
    'f:selector': {},
    'f:template': {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
    },
  },
};

/** A Deployment as the API server answers Gantry's apply: defaults filled in, the controller's status. */
function deployment(over: {
  resourceVersion: string;
  replicas?: number;
  image?: string;
  managedFields?: unknown[];
  annotations?: Record<string, string>;
}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: 'uid-web',
      resourceVersion: over.resourceVersion,
      labels: { [APP_LABEL]: 'shop', [TEAM_LABEL]: 'ops' },
      ...(over.annotations ? { annotations: over.annotations } : {}),
      managedFields: over.managedFields ?? [
        { manager: 'gantry', operation: 'Apply', apiVersion: 'apps/v1', fieldsV1: gantryFields },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          subresource: 'status',
          fieldsV1: { 'f:status': { 'f:replicas': {} } },
        },
      ],
    } as KubeObject['metadata'],
    spec: {
      replicas: over.replicas ?? 2,
      selector: { matchLabels: { app: 'web' } },
      progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate' },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'web', image: over.image ?? 'nginx:1.27', imagePullPolicy: 'IfNotPresent' }],
        },
      },
    },
    status: { replicas: 2 },
  };
}

describe('fieldsV1 paths', () => {
  it('lists owned leaves and whole list items, finds their values and names them', () => {
    const fields = ownedFields(gantryFields);
    expect(fields.filter((f) => f.leaf).map((f) => displayPath(f.path))).toContain(
      'spec.template.spec.containers[name=web].image',
    );
    expect(fields.filter((f) => !f.leaf).map((f) => displayPath(f.path))).toEqual([
      'spec.template.spec.containers[name=web]',
    ]);
    const image = fields.find((f) => displayPath(f.path).endsWith('.image'))!;
    expect(valueAt(deployment({ resourceVersion: '1' }), image.path)).toEqual({
      found: true,
      value: 'nginx:1.27',
    });
    expect(valueAt({ spec: {} }, image.path)).toEqual({ found: false });
  });
});

describe('detectDrift', () => {
  const applied = appliedFields(deployment({ resourceVersion: '10' }));

  it('reports a field another manager took over, with the values before and after', () => {
    // `kubectl patch` of replicas: an Update by kubectl-patch takes the field from Gantry's set.
    const { 'f:replicas': _replicas, ...spec } = gantryFields['f:spec'];
    const patched = deployment({
      resourceVersion: '11',
      replicas: 5,
      managedFields: [
        { manager: 'gantry', operation: 'Apply', fieldsV1: { ...gantryFields, 'f:spec': spec } },
        { manager: 'kubectl-patch', operation: 'Update', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      ],
    });
    expect(detectDrift(applied, patched)).toEqual([
      { field: 'spec.replicas', manager: 'kubectl-patch', applied: 2, live: 5 },
    ]);
  });

  it('reports a value changed under Gantry’s ownership', () => {
    expect(detectDrift(applied, deployment({ resourceVersion: '12', image: 'nginx:evil' }))).toEqual([
      {
        field: 'spec.template.spec.containers[name=web].image',
        manager: 'unknown',
        applied: 'nginx:1.27',
        live: 'nginx:evil',
      },
    ]);
  });

  it('reports nothing for defaults, status, fields Gantry never set, or Gantry’s own version', () => {
    expect(detectDrift(applied, deployment({ resourceVersion: '10', replicas: 9 }))).toEqual([]);
    const other = deployment({
      resourceVersion: '13',
      annotations: { 'deployment.kubernetes.io/revision': '2' },
      managedFields: [
        { manager: 'gantry', operation: 'Apply', fieldsV1: gantryFields },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:deployment.kubernetes.io/revision': {} } } },
        },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          subresource: 'status',
          fieldsV1: { 'f:status': {} },
        },
      ],
    });
    (other.spec as { progressDeadlineSeconds: number }).progressDeadlineSeconds = 300;
    (other.status as { replicas: number }).replicas = 1;
    expect(detectDrift(applied, other)).toEqual([]);
  });

  it('takes what admission changed during Gantry’s apply as Gantry’s: no drift afterwards', () => {
    // A mutating webhook pinned the image to a digest as Gantry applied nginx:1.27.
    const answered = appliedFields(deployment({ resourceVersion: '20', image: 'nginx@sha256:abc' }));
    expect(detectDrift(answered, deployment({ resourceVersion: '21', image: 'nginx@sha256:abc' }))).toEqual(
      [],
    );
  });
});

describe('DriftDetector', () => {
  it('records a drift once, regarding the object and the application, and its restore', () => {
    const events = new MemoryEventRecorder();
    const detector = new DriftDetector({ events });
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };
    detector.applying('ops', 'east', ref);
    // Gantry's own watch event while its apply is in flight: nothing to compare.
    detector.observe('ops', 'east', deployment({ resourceVersion: '9', image: 'nginx:old' }));
    detector.applied('ops', 'east', ref, deployment({ resourceVersion: '10' }));
    // A version from before Gantry's apply, delivered after its answer: older, not drift.
    detector.observe('ops', 'east', deployment({ resourceVersion: '8', image: 'nginx:old' }));
    detector.observe('ops', 'east', deployment({ resourceVersion: '10' }));
    expect(events.events).toEqual([]);

    const edited = deployment({ resourceVersion: '11', image: 'nginx:evil' });
    detector.observe('ops', 'east', edited);
    detector.observe('ops', 'east', { ...edited, metadata: { ...edited.metadata, resourceVersion: '12' } });
    expect(events.events.map((e) => [e.type, e.reason, e.regarding.kind, e.regarding.cluster])).toEqual([
      ['Warning', 'DriftDetected', 'Deployment', 'east'],
      ['Warning', 'DriftDetected', 'Application', 'east'],
    ]);
    expect(events.events[1]!.message).toBe(
      'Deployment shop/web changed by someone else: spec.template.spec.containers[name=web].image ("nginx:1.27" → "nginx:evil", by unknown)',
    );
    expect(events.events[0]!.regarding).toMatchObject({ namespace: 'shop', name: 'web', team: 'ops' });
    expect(detector.pending('ops', 'shop')).toHaveLength(1);

    detector.settled('ops', 'shop', 'policy');
    expect(events.reasons().at(-1)).toBe('DriftRestored');
    expect(events.events.at(-1)!.message).toBe(
      'Deployment shop/web: applied spec.template.spec.containers[name=web].image again (drift policy Restore)',
    );
    detector.settled('ops', 'shop', 'resync');
    expect(events.events).toHaveLength(3);
    expect(detector.pending('ops', 'shop')).toEqual([]);
    // Objects of other teams' applications, or not Gantry's, are not looked at.
    detector.observe('other', 'east', edited);
    expect(events.events).toHaveLength(3);
  });
});
