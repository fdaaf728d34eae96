import { describe, expect, it } from 'vitest';
import { createStoreHealthSignals } from './health-adapters.ts';
import type { GateEntity } from './ports.ts';

const SINCE = '2026-03-02T10:00:00.000Z';
const AFTER = '2026-03-02T10:05:00.000Z';

function alert(fingerprint: string, labels: Record<string, string>, entities: Record<string, string>) {
  return {
    team: 'ops',
    fingerprint,
    labels: { alertname: fingerprint, ...labels },
    annotations: {},
    startsAt: AFTER,
    endsAt: '2026-03-02T11:00:00.000Z',
    updatedAt: AFTER,
    generatorURL: '',
    source: 'alertmanager' as const,
    state: 'firing' as const,
    entities,
    seq: 1,
  };
}

function exception(
  id: string,
  entities: { kind: string; name: string; cluster?: string; application?: string }[],
) {
  return { id, title: id, episodeOpenedAt: AFTER, entities };
}

const signals = createStoreHealthSignals({
  alerts: {
    query: () =>
      Promise.resolve({
        items: [
          alert(
            'web-east',
            { cluster: 'east', app_gantry_dev_name: 'web' },
            { cluster: 'east', application: 'web' },
          ),
          alert(
            'web-west',
            { cluster: 'west', app_gantry_dev_name: 'web' },
            { cluster: 'west', application: 'web' },
          ),
          alert(
            'component-east',
            { cluster: 'east', app_gantry_dev_name: 'web', app_gantry_dev_component: 'api' },
            { cluster: 'east', application: 'web', component: 'api' },
          ),
          alert('web-anywhere', { application: 'web' }, { application: 'web' }),
          alert(
            'shop-east',
            { cluster: 'east', application: 'shop' },
            { cluster: 'east', application: 'shop' },
          ),
          alert('node-east', { cluster: 'east', node: 'n1' }, { cluster: 'east', node: 'n1' }),
        ],
      }),
  } as never,
  exceptions: {
    list: () =>
      Promise.resolve({
        items: [
          exception('app-east', [{ kind: 'Application', name: 'web', cluster: 'east' }]),
          exception('app-west', [{ kind: 'Application', name: 'web', cluster: 'west' }]),
          exception('component-east', [
            { kind: 'Component', name: 'api', application: 'web', cluster: 'east' },
          ]),
          exception('app-everywhere', [{ kind: 'Application', name: 'web' }]),
          exception('other-app', [{ kind: 'Application', name: 'shop', cluster: 'east' }]),
          exception('node', [{ kind: 'Node', name: 'n1', cluster: 'east' }]),
        ],
      }),
  } as never,
  now: () => Date.parse(AFTER),
});

const webOnEast: GateEntity = { kind: 'Application', team: 'ops', name: 'web', cluster: 'east' };

describe('the health gate’s reads for applications on clusters', () => {
  it('matches alerts that name the application on that cluster (or on no cluster), its components too', async () => {
    const found = await signals.alertsSince('ops', [webOnEast], SINCE);
    expect(found.map((signal) => signal.id)).toEqual(['web-east', 'component-east', 'web-anywhere']);
  });

  it('matches exceptions on the application or a component of it there', async () => {
    const found = await signals.openExceptionsSince('ops', [webOnEast], SINCE);
    expect(found.map((signal) => signal.id)).toEqual(['app-east', 'component-east', 'app-everywhere']);
  });

  it('keeps matching nodes by cluster and name', async () => {
    const node: GateEntity = { kind: 'Node', team: 'ops', name: 'n1', cluster: 'east' };
    expect((await signals.alertsSince('ops', [node], SINCE)).map((signal) => signal.id)).toEqual([
      'node-east',
    ]);
    expect((await signals.openExceptionsSince('ops', [node], SINCE)).map((signal) => signal.id)).toEqual([
      'node',
    ]);
  });
});
