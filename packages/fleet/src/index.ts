export * from './kube/kube-client.ts';
export * from './kube/reflector.ts';
export * from './inventory/summaries.ts';
export * from './cluster-connection.ts';
export * from './connection-registry.ts';
export * from './cluster-controller.ts';
export * from './node-operations.ts';
export * from './fleet-service.ts';
