import { describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import type { Resource } from '@gantry/model';
import { resourceEvent } from './resource-events.ts';

const alice = { principal: { username: 'alice', admin: true, teams: new Map() }, source: '127.0.0.1' };

function object(kind: string, name: string, spec: unknown, generation = 1, team?: string): Resource {
  return {
    apiVersion: 'gantry.dev/v1alpha1',
    kind,
    metadata: {
      name,
      ...(team ? { team } : {}),
      uid: 'u',
      resourceVersion: '1',
      generation,
      creationTimestamp: '2026-12-01T00:00:00Z',
      updatedTimestamp: '2026-12-01T00:00:00Z',
    },
    spec,
  };
}

describe('resourceEvent', () => {
  it('records definition changes with the version before and after, as the user who made them', () => {
    const v1 = object('ComponentDefinition', 'webservice', { version: '1.0.0' });
    const v2 = object('ComponentDefinition', 'webservice', { version: '1.1.0' }, 2);
    expect(resourceEvent({ type: 'ADDED', object: v1, caller: alice })).toEqual({
      type: 'Normal',
      reason: 'DefinitionCreated',
      message: 'ComponentDefinition webservice created at version 1.0.0',
      regarding: { kind: 'ComponentDefinition', name: 'webservice', team: '' },
      actor: 'alice',
    });
    expect(resourceEvent({ type: 'MODIFIED', object: v2, previous: v1, caller: alice })?.message).toBe(
      'ComponentDefinition webservice updated: version 1.0.0 → 1.1.0',
    );
    const same = object('TraitDefinition', 'scaler', { version: '2.0.0', x: 1 }, 3);
    const before = object('TraitDefinition', 'scaler', { version: '2.0.0' }, 2);
    expect(resourceEvent({ type: 'MODIFIED', object: same, previous: before, caller: alice })).toMatchObject({
      reason: 'DefinitionUpdated',
      message: 'TraitDefinition scaler changed, version 2.0.0 unchanged',
    });
    expect(resourceEvent({ type: 'DELETED', object: v2, previous: v2, caller: alice })).toMatchObject({
      reason: 'DefinitionDeleted',
      message: 'ComponentDefinition webservice deleted at version 1.1.0',
    });
  });

  it('records nothing for a status write (same generation) or for kinds without a recorded lifecycle', () => {
    const cluster = object('Cluster', 'east', {}, 4, 'sre');
    expect(
      resourceEvent({
        type: 'MODIFIED',
        object: cluster,
        previous: cluster,
        caller: { principal: SYSTEM_PRINCIPAL, source: 'controller/cluster' },
      }),
    ).toBeUndefined();
    expect(
      resourceEvent({ type: 'ADDED', object: object('Widget', 'w', {}, 1, 'sre'), caller: alice }),
    ).toBeUndefined();
  });

  it('records Team and Cluster lifecycles in the team, a Cluster also as its own cluster', () => {
    expect(
      resourceEvent({ type: 'ADDED', object: object('Cluster', 'east', {}, 1, 'sre'), caller: alice }),
    ).toMatchObject({
      reason: 'ClusterCreated',
      regarding: { kind: 'Cluster', name: 'east', team: 'sre', cluster: 'east' },
    });
    const team = object('Team', 'sre', {}, 2);
    expect(
      resourceEvent({
        type: 'MODIFIED',
        object: team,
        previous: object('Team', 'sre', {}, 1),
        caller: alice,
      }),
    ).toMatchObject({ reason: 'TeamUpdated', regarding: { kind: 'Team', name: 'sre', team: 'sre' } });
  });
});
