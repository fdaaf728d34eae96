export * from './app.ts';
export * from './metrics.ts';
export { RESOURCE_BASE } from './routes/resources.ts';
export type { VersionInfo } from './routes/meta.ts';
export type { AlertRouteDependencies } from './routes/alertmanager.ts';
