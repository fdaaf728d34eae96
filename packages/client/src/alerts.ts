/**
 * Alerts on the wire (docs/reference/alerts.md, notifications.md): the alert records, the dispatcher's
 * groups, the Alertmanager API's silences, the delivery log and the alert kinds' specs, as the model
 * declares them (packages/model/src/api/alerts.ts, api/notifications.ts, kinds/), imported as types only.
 */
export type {
  AlertEntities,
  AlertList,
  AlertMatcher,
  AlertRecord,
  AlertRoute,
  AlertRoutingSpec,
  DispatchGroup,
  DispatchGroupAlert,
  DispatchGroupList,
  GettableAlert,
  GettableSilence,
  InhibitRuleSpec,
  NotificationAttempt,
  NotificationChannelSpec,
  NotificationChannelType,
  NotificationDetail,
  NotificationList,
  NotificationRecord,
  NotificationState,
  PostableSilence,
  SilenceState,
} from '@gantry/model';
