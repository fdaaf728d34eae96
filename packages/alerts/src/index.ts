// @gantry/alerts: the alert pipeline — ingest, routing and compression, notifications, Gantry's own rules.
export * from './matchers.ts';
export * from './ingest/index.ts';
export * from './dispatch/index.ts';
export * from './rules/index.ts';
export * from './notify/index.ts';
export * from './pipeline/index.ts';
