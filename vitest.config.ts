import { defineConfig } from 'vitest/config';

// Five suites: `unit` needs nothing but Node (it includes SQLite integration tests), `postgres` needs
// GANTRY_TEST_POSTGRES_URL, `testbed` builds and starts Kubernetes clusters, `alerting` needs Debian's
// Prometheus and Alertmanager, `browser` needs Debian's Chromium. `npm test` runs `unit`; `.ci/run` runs all.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          globalSetup: ['test/support/bundle-setup.ts'],
          include: [
            'packages/*/src/**/*.test.ts',
            'apps/*/src/**/*.test.ts',
            'test/integration/**/*.test.ts',
          ],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'postgres',
          include: ['test/postgres/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // Real Kubernetes clusters from the test bed (testbed/): API servers, etcd, controllers, kwok nodes.
          name: 'testbed',
          globalSetup: ['test/support/bundle-setup.ts'],
          include: [
            'test/testbed/**/*.test.ts',
            'test/fleet/**/*.test.ts',
            // test/delivery/helm-renderer.test.ts runs the helm binary testbed/build.sh builds.
            'test/delivery/**/*.test.ts',
          ],
          testTimeout: 120_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // Real Prometheus and Alertmanager 0.25 (Debian packages), started by the tests on 127.0.0.1.
          name: 'alerting',
          globalSetup: ['test/support/bundle-setup.ts'],
          include: ['test/alerting/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          globalSetup: ['test/support/bundle-setup.ts'],
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
