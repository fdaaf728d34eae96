import { describe, expect, it } from 'vitest';
import {
  DisruptionBudgetIndex,
  podTemplateLabels,
  selectorMatches,
  summarizePodDisruptionBudget,
} from './disruption-budgets.ts';

describe('PodDisruptionBudget summaries and selectors', () => {
  it('keeps the selector, the budget as written and the status counts', () => {
    expect(
      summarizePodDisruptionBudget({
        metadata: { name: 'web', namespace: 'shop', uid: 'u', creationTimestamp: '2026-01-01T00:00:00Z' },
        spec: {
          minAvailable: '50%',
          selector: {
            matchLabels: { app: 'web' },
            matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'edge'] }],
          },
        },
        status: { currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1, expectedPods: 3 },
      }),
    ).toEqual({
      selector: {
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'edge'] }],
      },
      minAvailable: '50%',
      currentHealthy: 3,
      desiredHealthy: 2,
      disruptionsAllowed: 1,
      expectedPods: 3,
      createdAt: '2026-01-01T00:00:00Z',
    });
    const bare = summarizePodDisruptionBudget({
      metadata: { name: 'x', namespace: 'n', uid: 'u' },
      spec: { maxUnavailable: 1 },
    });
    expect(bare).toEqual({
      selector: null,
      maxUnavailable: '1',
      currentHealthy: 0,
      desiredHealthy: 0,
      disruptionsAllowed: 0,
      expectedPods: 0,
    });
  });

  it('matches like Kubernetes: null selects nothing, empty everything, every term must hold', () => {
    const labels = { app: 'web', tier: 'front' };
    expect(selectorMatches(null, labels)).toBe(false);
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches({}, {})).toBe(true);
    expect(selectorMatches({ matchLabels: { app: 'web' } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: 'web', tier: 'back' } }, labels)).toBe(false);
    const expression = (operator: string, values?: string[]) => ({
      matchExpressions: [{ key: 'tier', operator, ...(values ? { values } : {}) }],
    });
    expect(selectorMatches(expression('In', ['front', 'edge']), labels)).toBe(true);
    expect(selectorMatches(expression('In', ['back']), labels)).toBe(false);
    expect(selectorMatches(expression('In', ['front']), { app: 'web' })).toBe(false);
    expect(selectorMatches(expression('NotIn', ['back']), labels)).toBe(true);
    expect(selectorMatches(expression('NotIn', ['front']), labels)).toBe(false);
    expect(selectorMatches(expression('NotIn', ['front']), { app: 'web' })).toBe(true);
    expect(selectorMatches(expression('Exists'), labels)).toBe(true);
    expect(selectorMatches(expression('Exists'), { app: 'web' })).toBe(false);
    expect(selectorMatches(expression('DoesNotExist'), labels)).toBe(false);
    expect(selectorMatches(expression('DoesNotExist'), { app: 'web' })).toBe(true);
    expect(selectorMatches(expression('Gt', ['1']), labels)).toBe(false);
    expect(
      selectorMatches(
        {
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }],
        },
        labels,
      ),
    ).toBe(false);
  });

  it("reads the pods' labels from the workload's template (a CronJob's from its job template)", () => {
    const template = { metadata: { labels: { app: 'web' } }, spec: {} };
    const metadata = { name: 'w', uid: 'u', labels: { owner: 'team-a' } };
    expect(podTemplateLabels('Deployment', { metadata, spec: { template } })).toEqual({ app: 'web' });
    expect(podTemplateLabels('StatefulSet', { metadata, spec: { template } })).toEqual({ app: 'web' });
    expect(podTemplateLabels('CronJob', { metadata, spec: { jobTemplate: { spec: { template } } } })).toEqual(
      { app: 'web' },
    );
    expect(podTemplateLabels('Deployment', { metadata, spec: {} })).toEqual({});
  });

  it('knows coverage only after a complete list, by namespace', () => {
    const index = new DisruptionBudgetIndex();
    expect(index.coverage('shop', { app: 'web' })).toBeUndefined();
    index.replace([{ namespace: 'shop', name: 'web', selector: { matchLabels: { app: 'web' } } }]);
    expect(index.synced).toBe(true);
    expect(index.coverage('shop', { app: 'web' })).toBe('covered');
    expect(index.coverage('shop', { app: 'api' })).toBe('uncovered');
    expect(index.coverage('other', { app: 'web' })).toBe('uncovered');
    index.set('shop', 'all', {});
    expect(index.coverage('shop', { app: 'api' })).toBe('covered');
    index.delete('shop', 'all');
    index.delete('shop', 'web');
    expect(index.coverage('shop', { app: 'web' })).toBe('uncovered');
  });
});
