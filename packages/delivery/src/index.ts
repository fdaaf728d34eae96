export * from './cel-environment.ts';
export * from './cel-json.ts';
export * from './template-string.ts';
export * from './template-renderer.ts';
export * from './health-policy.ts';
