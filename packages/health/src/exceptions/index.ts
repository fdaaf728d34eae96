export * from './exception-service.ts';
export * from './failure-controller.ts';
export * from './health-policy.ts';
export * from './list-query.ts';
export * from './module.ts';
export * from './reasons.ts';
export * from './transitions.ts';
