export * from './fake-actuator.ts';
export * from './harness.ts';
