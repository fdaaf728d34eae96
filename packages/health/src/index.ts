export type * from './ports.ts';
export * from './anomaly/index.ts';
