export * from './merge.ts';
export * from './cursor.ts';
export * from './items.ts';
export * from './health-stream-service.ts';
