export type * from './ports.ts';
export * from './exceptions/index.ts';
export * from './anomaly/index.ts';
export * from './correlation/index.ts';
export * from './escalation/index.ts';
