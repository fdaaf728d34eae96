export * from './resource-service.ts';
export * from './change-feed.ts';
export * from './watch.ts';
export * from './watch-access.ts';
