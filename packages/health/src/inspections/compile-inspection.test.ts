import { describe, expect, it } from 'vitest';
import { createCelEngine } from '@gantry/delivery';
import type { InspectionSpec } from '@gantry/model';
import { INSPECTION_TEMPLATES } from './builtin.ts';
import { compileInspection, promqlShape } from './compile-inspection.ts';
import { kubeconfigClientCertificateNotAfter, parseImage } from './inspection-data.ts';
import { inspectionHarness } from './test-support.ts';

const engine = createCelEngine();
const spec = (checks: unknown[], schedule = { cron: '*/5 * * * *', timeZone: 'UTC' }) =>
  ({ schedule, suspend: false, checks }) as InspectionSpec;
const check = (fields: Record<string, unknown>) => ({ name: 'c', score: 50, maxRisks: 500, ...fields });

describe('compileInspection', () => {
  it('refuses bad CEL, PromQL shape, cron, time zone, duplicate names and kind mix-ups, each at its path', () => {
    const compiled = compileInspection(
      engine,
      spec(
        [
          check({
            promql: { source: 'p', query: 'sum(rate(x[5m])', condition: 'value >', whenEmpty: 'noData' },
          }),
          check({
            inventory: { over: 'nodes', condition: 'true' },
            title: '${node.}',
            scoreExpression: '1 +',
          }),
          check({ name: 'd', inventory: { over: 'nodes', condition: 'true' }, cel: { condition: 'true' } }),
          check({ name: 'e' }),
        ],
        { cron: '61 * * * *', timeZone: 'Mars/Olympus' },
      ),
    );
    expect(compiled.ok).toBe(false);
    if (compiled.ok) return;
    const paths = compiled.errors.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/spec/schedule/timeZone',
        '/spec/checks/0/promql/query',
        '/spec/checks/0/promql/condition',
        '/spec/checks/1/name',
        '/spec/checks/1/title',
        '/spec/checks/1/scoreExpression',
        '/spec/checks/2',
        '/spec/checks/3',
      ]),
    );
    expect(
      compileInspection(
        engine,
        spec([check({ cel: { condition: 'true' } })], { cron: '61 * * * *', timeZone: 'UTC' }),
      ),
    ).toMatchObject({ ok: false, errors: [{ path: '/spec/schedule/cron' }] });
  });

  it('checks the shape of PromQL: brackets, strings, comments', () => {
    expect(promqlShape('sum by (node) (rate(x{job="a)"}[5m]))')).toBeUndefined();
    expect(promqlShape('up # a comment with ( in it')).toBeUndefined();
    expect(promqlShape('rate(x[5m)')).toContain("closes what needs ']'");
    expect(promqlShape('x{job="a}')).toContain('not closed');
    expect(promqlShape('  ')).toBe('must not be blank');
    expect(promqlShape('x)')).toContain('closes nothing');
  });

  it('every built-in template compiles', () => {
    for (const template of INSPECTION_TEMPLATES)
      expect(compileInspection(engine, template.spec), template.name).toMatchObject({ ok: true });
  });

  it('is the admission of Inspection writes: 400 with the paths, nothing stored', async () => {
    const h = await inspectionHarness();
    await expect(
      h.apply('bad', {
        schedule: { cron: '* * * * *' },
        checks: [{ name: 'x', inventory: { over: 'nodes', condition: 'node.' } }],
      }),
    ).rejects.toMatchObject({
      code: 'GANTRY_E_INVALID',
      details: [{ path: '/spec/checks/0/inventory/condition' }],
    });
    expect((await h.store.resources.list({ kind: 'Inspection', limit: 10 })).items).toHaveLength(0);
    await h.store.close();
  });
});

describe('inventory helpers', () => {
  it('parses image references: latest and untagged are unpinned, a digest pins', () => {
    expect(parseImage('nginx')).toMatchObject({ repository: 'nginx', tag: '', pinned: false });
    expect(parseImage('nginx:latest')).toMatchObject({ tag: 'latest', pinned: false });
    expect(parseImage('registry:5000/team/app')).toMatchObject({
      repository: 'registry:5000/team/app',
      tag: '',
      pinned: false,
    });
    expect(parseImage('registry:5000/team/app:1.2')).toMatchObject({ tag: '1.2', pinned: true });
    expect(parseImage('app:latest@sha256:abc')).toMatchObject({
      tag: 'latest',
      digest: 'sha256:abc',
      pinned: true,
    });
  });

  it("reads the kubeconfig's client certificate expiry, and nothing from one without a certificate", () => {
    const kubeconfig =
      'users:\n- name: u\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJnVENDQVNlZ0F3SUJBZ0lVVWhkOU9OdzROOFM4NTZUalRHelNnSTByQlRvd0NnWUlLb1pJemowRUF3SXcKRmpFVU1CSUdBMVVFQXd3TFoyRnVkSEo1TFhSbGMzUXdIaGNOTWpZeE1qQXpNRFV6TXpFeVdoY05Nall4TWpJegpNRFV6TXpFeVdqQVdNUlF3RWdZRFZRUUREQXRuWVc1MGNua3RkR1Z6ZERCWk1CTUdCeXFHU000OUFnRUdDQ3FHClNNNDlBd0VIQTBJQUJDc3Bmb2xTRlNBMmRiWnBOc1NJUXZobktzcFdjWlB0MGlYZ21Lbm9QcTgwTzQ1aDYyWTEKQzYvOWVsdHJVREZMcnpxa0tKT3JKL3VDZjVmYlFhUU04ZEdqVXpCUk1CMEdBMVVkRGdRV0JCUU1YQXVidnF0MAo2TU8wNjkrVnpIa3VON05iQ2pBZkJnTlZIU01FR0RBV2dCUU1YQXVidnF0MDZNTzA2OStWekhrdU43TmJDakFQCkJnTlZIUk1CQWY4RUJUQURBUUgvTUFvR0NDcUdTTTQ5QkFNQ0EwZ0FNRVVDSUFNbmE4dUJQeE44Nk5PSUpGZHcKRU12TDQ2Zmp2ZzBlUG1wUGVNTkZmNWFyQWlFQXlKRXFmaW4rb1VTM2R3cUxHWkVVa290blVnbFRnWUxUaDlkUwpVSjIwZDVNPQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==\n    client-key-data: eA==\n';
    expect(kubeconfigClientCertificateNotAfter(kubeconfig)).toBe('2026-12-23T05:33:12.000Z');
    expect(
      kubeconfigClientCertificateNotAfter('users:\n- name: u\n  user:\n    token: abc\n'),
    ).toBeUndefined();
    expect(kubeconfigClientCertificateNotAfter('client-certificate-data: bm90IGEgY2VydA==')).toBeUndefined();
  });
});
