import type { KindDefinition } from '../kind-registry.ts';
import { alertRuleKind, globalAlertRuleKind } from './alert-rule.ts';
import { alertRoutingKind } from './alert-routing.ts';
import { clusterKind } from './cluster.ts';
import { deliveryKinds } from './delivery.ts';
import { inhibitRuleKind } from './inhibit-rule.ts';
import { metricsSourceKind } from './metrics-source.ts';
import { silenceKind } from './silence.ts';
import { notificationChannelKind } from './notification-channel.ts';
import { jobTemplateKind } from './job-template.ts';
import { scheduleKind } from './schedule.ts';
import { hostGroupKind } from './host-group.ts';
import { inspectionKind } from './inspection.ts';
import { teamKind } from './team.ts';
import { timeIntervalKind } from './time-interval.ts';
import { healthPolicyKind } from './health-policy.ts';
import { baselineKind } from './baseline.ts';
import { correlationRuleKind } from './correlation-rule.ts';
import { escalationPolicyKind } from './escalation-policy.ts';
import { changeKind } from './change.ts';
import { changeWindowKind } from './change-window.ts';
import { disruptionBudgetKind } from './disruption-budget.ts';
import { healingPolicyKind } from './healing-policy.ts';
import { diagnosisTreeKind } from './diagnosis-tree.ts';

/** The kinds every server registers. A capability adds its kind here, with its schema in this folder. */
export const builtinKinds: readonly KindDefinition[] = [
  teamKind,
  clusterKind,
  ...deliveryKinds,
  silenceKind,
  alertRoutingKind,
  inhibitRuleKind,
  timeIntervalKind,
  metricsSourceKind,
  alertRuleKind,
  globalAlertRuleKind,
  notificationChannelKind,
  jobTemplateKind,
  scheduleKind,
  hostGroupKind,
  healthPolicyKind,
  baselineKind,
  correlationRuleKind,
  escalationPolicyKind,
  inspectionKind,
  changeKind,
  changeWindowKind,
  disruptionBudgetKind,
  healingPolicyKind,
  diagnosisTreeKind,
];
