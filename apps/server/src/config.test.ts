import { describe, expect, it } from 'vitest';
import { describeConfig, resolveConfig } from './config.ts';

describe('config', () => {
  it('has a documented default for every key', () => {
    const config = resolveConfig({}, {}, '/srv');
    expect(config).toMatchObject({
      port: 7420,
      host: '127.0.0.1',
      dataDir: '/srv/.gantry',
      database: '/srv/.gantry/gantry.db',
      bodyLimitBytes: 1_048_576,
    });
    for (const row of describeConfig()) {
      expect(row.env).toMatch(/^GANTRY_[A-Z_]+$/);
      expect(row.description.length).toBeGreaterThan(10);
      expect(row.default).not.toBeUndefined();
    }
  });

  it('reads the environment and lets flags win', () => {
    const config = resolveConfig(
      { GANTRY_PORT: '8000', GANTRY_DATABASE_URL: 'postgres://u:p@db/gantry', GANTRY_LOG_LEVEL: 'warn' },
      { port: 9000 },
      '/srv',
    );
    expect(config.port).toBe(9000);
    expect(config.database).toBe('postgres://u:p@db/gantry');
    expect(config.logLevel).toBe('warn');
  });

  it('names the variable at fault', () => {
    expect(() => resolveConfig({ GANTRY_PORT: 'eighty' }, {}, '/srv')).toThrow(/GANTRY_PORT must be integer/);
    expect(() => resolveConfig({ GANTRY_LOG_LEVEL: 'loud' }, {}, '/srv')).toThrow(/GANTRY_LOG_LEVEL/);
    expect(() => resolveConfig({ GANTRY_HELM_CHART_DIRS: '/srv/charts:charts' }, {}, '/srv')).toThrow(
      /GANTRY_HELM_CHART_DIRS/,
    );
    expect(
      resolveConfig({ GANTRY_HELM_CHART_DIRS: '/srv/charts:/opt/charts' }, {}, '/srv').helmChartDirs,
    ).toBe('/srv/charts:/opt/charts');
  });
});
