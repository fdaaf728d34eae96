export type * from './ports.ts';
export * from './exceptions/index.ts';
export * from './anomaly/index.ts';
export * from './stats/index.ts';
