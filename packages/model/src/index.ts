export * from './errors.ts';
export * from './resource.ts';
export * from './validation.ts';
export * from './kind-registry.ts';
export * from './label-selector.ts';
export * from './json.ts';
export * from './kinds/team.ts';
export * from './kinds/index.ts';
