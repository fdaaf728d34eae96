export * from './fingerprint.ts';
export * from './entities.ts';
export * from './normalize.ts';
export * from './alert-ingest.ts';
export * from './silences.ts';
export * from './alert-changes.ts';
