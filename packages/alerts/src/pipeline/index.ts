export * from './dispatch-runner.ts';
export * from './notification-message.ts';
export * from './rule-alert-sink.ts';
export * from './host-alerts.ts';
export * from './alertmanager-status.ts';
