export {
  createEscalator,
  EscalationReason,
  type Escalator,
  type EscalatorDeps,
  type EscalatorOptions,
  type EscalationPolicySource,
  type NotificationEnqueuer,
} from './escalator.ts';
export { exceptionMessage } from './message.ts';
export { escalationPolicySource } from './policy-source.ts';
