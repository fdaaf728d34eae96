export * from './config.ts';
export * from './server.ts';
export * from './run.ts';
export { VERSION } from './version.ts';
