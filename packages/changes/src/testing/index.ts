export * from './fake-actuator.ts';
export * from './harness.ts';
export * from './fake-health.ts';
