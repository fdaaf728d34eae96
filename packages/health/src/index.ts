export type * from './ports.ts';
export * from './correlation/index.ts';
export * from './escalation/index.ts';
