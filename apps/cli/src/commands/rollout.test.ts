import { describe, expect, it } from 'vitest';
import type { ChangeSpec } from '@gantry/model';
import { currentRollout } from './rollout.ts';

const change = (name: string, application: string | undefined, revision: number, phase?: string) => ({
  metadata: { name, creationTimestamp: `2026-03-02T10:0${revision}:00Z` },
  spec: (application
    ? { applicationRevision: { application, revision } }
    : { nodeOperation: { operation: 'cordon' } }) as unknown as ChangeSpec,
  ...(phase ? { status: { phase } } : {}),
});

describe('currentRollout', () => {
  it("picks the application's rollout that has started and not ended, else the newest", () => {
    const changes = [
      change('web-rollout-v2', 'web', 2, 'RolledBack'),
      change('web-rollout-v3', 'web', 3, 'Observing'),
      change('web-rollout-v4', 'web', 4),
      change('api-rollout-v9', 'api', 9, 'Progressing'),
      change('cordon-east', undefined, 5, 'Progressing'),
    ] as never[];
    // v4 waits for v3 (it holds the same clusters): v3 is the one moving.
    expect(currentRollout(changes, 'web')?.metadata.name).toBe('web-rollout-v3');
    expect(currentRollout(changes.slice(2), 'web')?.metadata.name).toBe('web-rollout-v4');
    expect(currentRollout(changes, 'api')?.metadata.name).toBe('api-rollout-v9');
    expect(
      currentRollout([change('web-rollout-v2', 'web', 2, 'Succeeded')] as never[], 'web'),
    ).toBeUndefined();
  });
});
