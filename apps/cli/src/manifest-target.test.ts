import { describe, expect, it } from 'vitest';
import type { Resource } from '@gantry/client';
import { resourcePath } from './client.ts';
import { parseKinds } from './kinds.ts';
import { declaredState, targetOf } from './manifest-target.ts';

const served = (kind: string, plural: string, scope: 'Team' | 'Global') => ({
  kind,
  apiVersion: 'gantry.dev/v1alpha1',
  plural,
  singular: kind.toLowerCase(),
  shortNames: [],
  scope,
  description: '',
  schema: {},
  statusSchema: {},
  printerColumns: [],
});
const kinds = parseKinds({
  items: [
    served('Team', 'teams', 'Global'),
    served('Pipeline', 'pipelines', 'Team'),
    served('Application', 'applications', 'Team'),
  ],
});
const origin = { source: 'f.yaml', document: 1 };
const manifest = (object: Resource): { origin: typeof origin; object: Resource } => ({ origin, object });

describe('targetOf', () => {
  it('puts team-scoped objects in the manifest team, else --team / the context team', () => {
    const object: Resource = { apiVersion: 'gantry.dev/v1alpha1', kind: 'Pipeline', metadata: { name: 'p' } };
    expect(targetOf(manifest(object), kinds, { team: 'ctx', teamFromFlag: false }).team).toBe('ctx');
    const own = { ...object, metadata: { name: 'p', team: 'own' } };
    expect(targetOf(manifest(own), kinds, { team: 'ctx', teamFromFlag: false }).body.metadata.team).toBe(
      'own',
    );
    expect(() => targetOf(manifest(own), kinds, { team: 'flag', teamFromFlag: true })).toThrow(
      'metadata.team "own" does not match --team "flag"',
    );
  });

  it('drops server-owned metadata and status from the body (a get -o yaml copy applies cleanly)', () => {
    const copied: Resource = {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: {
        name: 't',
        uid: 'u',
        resourceVersion: '7',
        generation: 2,
        creationTimestamp: 'x',
        updatedTimestamp: 'y',
        labels: { a: 'b' },
      },
      spec: { displayName: 'T' },
      status: { observedGeneration: 2 },
    };
    const target = targetOf(manifest(copied), kinds, { team: 'default', teamFromFlag: false });
    expect(target.team).toBeUndefined();
    expect(target.body).toEqual({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: { name: 't', labels: { a: 'b' } },
      spec: { displayName: 'T' },
    });
  });
});

describe('targetOf with a KubeVela Application', () => {
  const vela: Resource = {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name: 'shop', namespace: 'prod', resourceVersion: '4711', labels: { tier: 'web' } },
    spec: { components: [{ name: 'web', type: 'webservice', properties: { image: 'nginx:1.27' } }] },
  };

  it('goes unchanged to the Application path of the context team, never of metadata.namespace', () => {
    const target = targetOf(manifest(vela), kinds, { team: 'payments', teamFromFlag: false });
    expect(target.kind.kind).toBe('Application');
    expect(target.team).toBe('payments');
    expect(resourcePath(target.kind, { team: target.team, name: target.name })).toBe(
      '/apis/gantry.dev/v1alpha1/teams/payments/applications/shop',
    );
    // The server converts it: apiVersion, namespace and spec stay as written; the cluster's resourceVersion goes.
    expect(target.body).toEqual({
      apiVersion: 'core.oam.dev/v1beta1',
      kind: 'Application',
      metadata: { name: 'shop', namespace: 'prod', labels: { tier: 'web' }, team: 'payments' },
      spec: vela.spec,
    });
  });

  it('takes the team from --team like other team kinds', () => {
    const target = targetOf(manifest(vela), kinds, { team: 'checkout', teamFromFlag: true });
    expect(target.team).toBe('checkout');
    expect(target.body.metadata.team).toBe('checkout');
  });

  it('says so when the server serves no Application kind', () => {
    const withoutApplications = kinds.filter((k) => k.kind !== 'Application');
    expect(() =>
      targetOf(manifest(vela), withoutApplications, { team: 'payments', teamFromFlag: false }),
    ).toThrow(
      'core.oam.dev/v1beta1 Application documents become Application, which this server does not serve',
    );
  });

  it('still refuses other core.oam.dev kinds', () => {
    const definition: Resource = {
      apiVersion: 'core.oam.dev/v1beta1',
      kind: 'ComponentDefinition',
      metadata: { name: 'x' },
    };
    expect(() => targetOf(manifest(definition), kinds, { team: 'payments', teamFromFlag: false })).toThrow(
      'unknown kind "ComponentDefinition"',
    );
  });
});

describe('declaredState', () => {
  it('ignores server-owned fields and status, and treats absent labels as empty', () => {
    const manifestObject: Resource = {
      apiVersion: 'v',
      kind: 'Team',
      metadata: { name: 't' },
      spec: { a: 1 },
    };
    const live: Resource = {
      ...manifestObject,
      metadata: { name: 't', labels: {}, resourceVersion: '3', uid: 'u' },
      status: { x: 1 },
    };
    expect(declaredState(live)).toEqual(declaredState(manifestObject));
    expect(declaredState({ ...live, spec: { a: 2 } })).not.toEqual(declaredState(manifestObject));
  });
});
