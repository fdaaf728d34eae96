export * from './agent-clock.ts';
export * from './secret-masker.ts';
export * from './users.ts';
export * from './executor.ts';
export * from './job-handler.ts';
