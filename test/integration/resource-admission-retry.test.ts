import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import { builtinKinds, KindRegistry } from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';
import { widget, widgetKind } from '../support/widget-kind.ts';

const admin: Caller = { principal: SYSTEM_PRINCIPAL, source: 'test' };

/**
 * A kind with admission hooks is admitted against the object as read, then written only if it is still
 * that object. A controller's status write in between must not make a write without a resourceVersion
 * fail (the events suite's PATCH of a Cluster met one); a write with one still gets its 409.
 */
describe('writes of a kind with admission hooks, raced by a status write', () => {
  let store: Store;
  let resources: ResourceService;
  /** Writes the object's status once, from inside the next admission: the race, made certain. */
  let raceOnce: boolean;
  let admissions: number;

  beforeEach(async () => {
    store = await Store.open({ url: ':memory:' });
    const kinds = new KindRegistry();
    for (const kind of builtinKinds) kinds.register(kind);
    kinds.register(widgetKind);
    resources = new ResourceService(kinds, store.resources);
    raceOnce = false;
    admissions = 0;
    resources.admit('Widget', async (request) => {
      admissions++;
      if (request.operation !== 'update' || !raceOnce) return;
      raceOnce = false;
      const current = await resources.get(admin, 'Widget', 'ops', 'w1');
      await resources.replaceStatus(admin, 'Widget', 'ops', 'w1', {
        ...current,
        status: { readyReplicas: admissions },
      });
    });
    await resources.create(admin, 'Team', undefined, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: { name: 'ops' },
      spec: { members: [] },
    });
    await resources.create(admin, 'Widget', 'ops', widget('ops', 'w1', { replicas: 1 }));
  });
  afterEach(async () => {
    await store.close();
  });

  it('a merge patch without a resourceVersion is admitted again and written', async () => {
    raceOnce = true;
    const patched = await resources.patch(admin, 'Widget', 'ops', 'w1', { spec: { replicas: 3 } });
    expect(patched.spec).toMatchObject({ replicas: 3 });
    expect(patched.status).toMatchObject({ readyReplicas: 2 }); // the racing status write is kept
    expect(admissions).toBe(3); // the create, the raced admission, the one that was written
  });

  it('a write with a resourceVersion gets its conflict', async () => {
    const current = await resources.get(admin, 'Widget', 'ops', 'w1');
    raceOnce = true;
    await expect(
      resources.patch(admin, 'Widget', 'ops', 'w1', {
        metadata: { resourceVersion: current.metadata.resourceVersion },
        spec: { replicas: 3 },
      }),
    ).rejects.toMatchObject({ status: 409, code: 'GANTRY_E_CONFLICT' });
    expect((await resources.get(admin, 'Widget', 'ops', 'w1')).spec).toMatchObject({ replicas: 1 });
  });
});
