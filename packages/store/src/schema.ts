import type { Generated } from 'kysely';

/** The tables, as Kysely sees them. Booleans are 0/1 integers and times ISO strings on both databases. */
export interface Database {
  resources: ResourceTable;
  resource_labels: ResourceLabelTable;
  resource_changes: ResourceChangeTable;
  resource_version: { id: number; value: number };
  users: UserTable;
  api_tokens: ApiTokenTable;
  audit_log: AuditTable;
  secrets: SecretTable;
  leases: LeaseTable;
  inventory: InventoryTable;
  events: EventTable;
  applied_objects: AppliedObjectTable;
  login_throttle: LoginThrottleTable;
  idempotency_keys: IdempotencyKeyTable;
  alerts: AlertTable;
  alert_seq: { id: number; value: number };
  alert_journal: AlertJournalTable;
  alert_notification_log: AlertNotificationLogTable;
  alert_flap_state: AlertFlapStateTable;
  alert_rule_state: AlertRuleStateTable;
  notifications: NotificationTable;
  notification_attempts: NotificationAttemptTable;
  job_runs: JobRunTable;
  job_targets: JobTargetTable;
  job_output: JobOutputTable;
  job_run_hosts: JobRunHostTable;
  hosts: HostTable;
  join_tokens: JoinTokenTable;
  agent_credentials: AgentCredentialTable;
  agent_messages: AgentMessageTable;
  agent_receipts: AgentReceiptTable;
  exceptions: ExceptionTable;
  exception_entities: ExceptionEntityTable;
  exception_alerts: ExceptionAlertTable;
  exception_timeline: ExceptionTimelineTable;
  exception_episodes: ExceptionEpisodeTable;
  health_correlation_groups: HealthCorrelationGroupTable;
  health_correlation_members: HealthCorrelationMemberTable;
  health_escalations: HealthEscalationTable;
  risks: RiskTable;
  risk_entities: RiskEntityTable;
  inspection_runs: InspectionRunTable;
  inspection_run_results: InspectionRunResultTable;
  change_journal: ChangeJournalTable;
  change_requests: ChangeRequestTable;
  change_line_stops: ChangeLineStopTable;
  healing_runs: HealingRunTable;
  healing_ledger: HealingLedgerTable;
  disruption_holds: DisruptionHoldTable;
  disruption_budget_epochs: DisruptionBudgetEpochTable;
}

export interface ResourceTable {
  kind: string;
  /** `''` for kinds that do not belong to a team. */
  team: string;
  name: string;
  uid: string;
  resource_version: number;
  generation: number;
  created_at: string;
  updated_at: string;
  /** The whole object as JSON. */
  body: string;
}

export interface ResourceLabelTable {
  kind: string;
  team: string;
  name: string;
  key: string;
  value: string;
}

export interface ResourceChangeTable {
  /** The resourceVersion: one global increasing sequence shared by every kind. */
  id: number;
  kind: string;
  team: string;
  name: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  body: string;
  created_at: string;
}

export interface UserTable {
  username: string;
  password_hash: string;
  admin: number;
  disabled: number;
  created_at: string;
  updated_at: string;
}

export interface ApiTokenTable {
  id: string;
  username: string;
  name: string;
  kind: 'session' | 'api';
  token_hash: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AuditTable {
  id: Generated<number>;
  at: string;
  actor: string;
  source: string;
  action: string;
  kind: string;
  team: string;
  name: string;
  resource_version: string | null;
  dry_run: number;
  before: string | null;
  after: string | null;
  diff: string | null;
}

export interface SecretTable {
  team: string;
  name: string;
  /** `{ key: base64(iv|tag|ciphertext) }` as JSON; never the plain text. */
  data: string;
  created_at: string;
  updated_at: string;
}

export interface LeaseTable {
  name: string;
  holder: string;
  /** Milliseconds since the epoch. */
  expires_at: number;
  renewed_at: number;
  transitions: number;
}

export interface InventoryTable {
  /** `team/name` of the Cluster resource. */
  cluster: string;
  /** Node, Namespace, Deployment, StatefulSet, DaemonSet, Job, CronJob, PodSummary */
  kind: string;
  /** `''` for cluster-scoped objects. */
  namespace: string;
  name: string;
  uid: string;
  data: string;
  updated_at: string;
}

export interface EventTable {
  id: Generated<number>;
  /** `kubernetes` (a cluster's Event) or `gantry` (Gantry's own, ADR 0009). */
  source: string;
  /**
   * The source's own id, so a repeated event updates its record: `cluster/uid` of a Kubernetes Event,
   * the hash of the folding key (regarded object, type, reason, message) of a Gantry event.
   */
  external_id: string;
  team: string;
  cluster: string;
  namespace: string;
  object_kind: string;
  object_name: string;
  /** Normal or Warning. */
  type: string;
  reason: string;
  message: string;
  /** A user, `controller/<name>`, or the Kubernetes reporting component; `''` when unknown. */
  actor: string;
  count: number;
  first_seen: string;
  last_seen: string;
}

export interface AppliedObjectTable {
  team: string;
  app: string;
  cluster: string;
  /** `apiVersion/Kind/namespace/name` (namespace empty for cluster-scoped objects). */
  ref: string;
  component: string;
  /** The object's identity as JSON: apiVersion, kind, namespace, name. */
  object: string;
  /** sha256 of the applied manifest. */
  hash: string;
  revision: number;
  applied_at: string;
}

/** A create's answer by `Idempotency-Key` (ADR 0029); times in milliseconds since the epoch. */
export interface IdempotencyKeyTable {
  principal: string;
  key: string;
  /** sha256 (hex) of the request: method, path and body. */
  fingerprint: string;
  status: number;
  /** The answer's body (JSON). */
  body: string;
  created_at: number;
  expires_at: number;
}

export interface LoginThrottleTable {
  /** `source:<address>` or `user:<name>@<address>`. */
  key: string;
  failures: number;
  /** Milliseconds since the epoch. */
  last_failure_at: number;
  blocked_until: number;
}

export interface AlertTable {
  team: string;
  /** Alertmanager's fingerprint of the label set, 16 hex digits. */
  fingerprint: string;
  /** The change sequence number of the last write (`alert_seq`). */
  seq: number;
  alertname: string;
  /** JSON objects. */
  labels: string;
  annotations: string;
  starts_at: string;
  ends_at: string;
  /**
   * 1 when `ends_at` was filled in by Gantry (now + the resolve timeout: Alertmanager's `Timeout`), 0 when it
   * was given (migration 0031).
   */
  ends_timeout: number;
  updated_at: string;
  generator_url: string;
  source: string;
  /** The entities the labels name; `''` when they name none. */
  cluster: string;
  node: string;
  namespace: string;
  application: string;
  component: string;
}

/** Changes of stored alerts not yet folded into `alerts` (migration 0030, ADR 0042; SQLite only). */
export interface AlertJournalTable {
  /** The first sequence number of the row's changes. */
  id: number;
  updated_at: string;
  /**
   * JSON: `[team, fingerprint, seq, startsAt, endsAt, annotations, generatorURL, source, updatedAt?, 1?][]`,
   * the last 1 when endsAt is a timeout (`SqliteAlertStatements`).
   */
  entries: string;
}

/** The alert dispatcher's notification log (migration 0010-alert-dispatch, ADR 0013). */
/** The dispatcher's flap history of one alert (migration 0018). */
export interface AlertFlapStateTable {
  team: string;
  fingerprint: string;
  /** 'firing' | 'resolved': the status last seen. */
  status: string;
  /** JSON array of the times (ms) of the transitions within the window. */
  changes: string;
  /** 1 while the alert is held as flapping. */
  flapping: number;
  /** Milliseconds since the epoch: the last transition, or when the history was written. */
  updated_at: number;
}

export interface AlertNotificationLogTable {
  /** sha256 of team, group key and receiver. */
  key: string;
  team: string;
  group_key: string;
  receiver: string;
  sequence: number;
  /** JSON arrays of fingerprints. */
  firing: string;
  resolved: string;
  flapping: string;
  owed: string;
  /** Milliseconds since the epoch. */
  sent_at: number;
  expires_at: number;
}

export interface AlertRuleStateTable {
  /** `AlertRule` or `GlobalAlertRule`. */
  kind: string;
  /** `''` for a GlobalAlertRule. */
  team: string;
  name: string;
  /** JSON: the evaluator's series state. */
  series: string;
  /** Milliseconds since the epoch. */
  updated_at: number;
}

/** The notification outbox (ADR 0014). Times in ms since the epoch where workers compare them. */
export interface NotificationTable {
  seq: Generated<number>;
  /** A UUID, sent as `X-Gantry-Notification-Id` and `Idempotency-Key`. */
  id: string;
  team: string;
  channel: string;
  group_key: string;
  /** sha256 of group_key (migration 0018; null on rows written before it). */
  group_hash: string | null;
  dedup_key: string;
  /** pending, sending, delivered, failed, superseded */
  state: string;
  status: string;
  alert_count: number;
  /** The Alertmanager v4 message as JSON. */
  message: string;
  /** Attempts recorded in notification_attempts. */
  attempts: number;
  due_at: number;
  claimed_by: string | null;
  claim_token: string | null;
  lease_until: number | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
  last_error: string | null;
}

export interface NotificationAttemptTable {
  notification_seq: number;
  attempt: number;
  at: string;
  latency_ms: number;
  outcome: string;
  status_code: number | null;
  error_class: string | null;
  error: string | null;
  response: string | null;
  server: string;
}

/** A job run (migration 0012-jobs); JSON columns hold the run's parameters, targets and frozen execution. */
export interface JobRunTable {
  seq: Generated<number>;
  id: string;
  team: string;
  template: string;
  template_version: string;
  script_sha256: string;
  parameters: string;
  targets: string;
  execution: string;
  concurrency: number;
  batch_size: number | null;
  stop_after_failures: number | null;
  created_by: string;
  schedule: string | null;
  rerun_of: string | null;
  state: string;
  reason: string;
  cancel_requested: number;
  created_at: string;
  finished_at: string | null;
}

export interface JobTargetTable {
  run_id: string;
  target: string;
  kind: string;
  ordinal: number;
  state: string;
  attempt: number;
  exit_code: number | null;
  signal: string | null;
  reason: string;
  message: string;
  output_bytes: number;
  truncated: number;
  dispatched_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  /** Milliseconds since the epoch: when a dispatched or running target counts as lost or timed out. */
  deadline: number | null;
}

/** A host target of a run, for the runs of a host (migration 0019-job-run-hosts). */
export interface JobRunHostTable {
  host: string;
  team: string;
  run_seq: number;
  run_id: string;
}

export interface JobOutputTable {
  id: Generated<number>;
  run_id: string;
  target: string;
  attempt: number;
  seq: number;
  stream: string;
  data: string;
  at: string;
}

// Hosts and agents (migration 0011-hosts, ADR 0016). Times are milliseconds since the epoch.
export interface HostTable {
  team: string;
  name: string;
  status: string;
  status_since: number;
  /** The server instance holding the agent's connection; '' when none does. */
  connected_server: string;
  labels: string;
  facts: string | null;
  agent_version: string;
  last_heartbeat: number | null;
  credential_id: string;
  created_at: number;
}

export interface JoinTokenTable {
  id: string;
  team: string;
  secret_hash: string;
  description: string;
  labels: string;
  max_uses: number;
  uses: number;
  created_by: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface AgentCredentialTable {
  id: string;
  team: string;
  host: string;
  secret_hash: string;
  created_at: number;
  /** Set on a credential replaced by rotation: it keeps working until then. */
  expires_at: number | null;
  revoked_at: number | null;
}

export interface AgentMessageTable {
  seq: Generated<number>;
  id: string;
  team: string;
  host: string;
  channel: string;
  body: string;
  created_at: number;
  expires_at: number;
}

export interface AgentReceiptTable {
  team: string;
  host: string;
  id: string;
  received_at: number;
}

/** An exception (migration 0013-health-exceptions); JSON columns hold entities, reason, levels, follow-ups. */
export interface ExceptionTable {
  seq: Generated<number>;
  id: string;
  team: string;
  title: string;
  severity: string;
  state: string;
  entities: string;
  assignee: string | null;
  origin: string;
  correlation_key: string | null;
  correlation_reason: string | null;
  /** The correlation key while not resolved or merged; unique per team. */
  active_key: string | null;
  opened_at: string;
  episode_opened_at: string;
  acknowledged_at: string | null;
  mitigated_at: string | null;
  resolved_at: string | null;
  level: string | null;
  level_raised_at: string;
  impact: string | null;
  root_cause: string | null;
  follow_ups: string;
  merged_into: string | null;
  alert_count: number;
  firing_alert_count: number;
  reopen_count: number;
  created_by: string;
  changed_at: string;
  updated_at: string;
}

export interface ExceptionEntityTable {
  exception_id: string;
  team: string;
  kind: string;
  name: string;
  /** `''` when none. */
  cluster: string;
  namespace: string;
}

export interface ExceptionAlertTable {
  exception_id: string;
  team: string;
  fingerprint: string;
  state: string;
  labels: string;
  starts_at: string;
  joined_at: string;
  resolved_at: string | null;
}

export interface ExceptionTimelineTable {
  id: Generated<number>;
  /** The exception it belongs to now (a merge moves entries). */
  exception_id: string;
  /** The exception it was written on. */
  written_on: string;
  team: string;
  type: string;
  at: string;
  actor: string;
  message: string;
  /** The rest of the entry as JSON. */
  body: string;
}

/** One open → resolved span of an exception (a reopen starts the next ordinal). */
export interface ExceptionEpisodeTable {
  exception_id: string;
  ordinal: number;
  team: string;
  severity: string;
  opened_at: string;
  first_alert_at: string | null;
  acknowledged_at: string | null;
  mitigated_at: string | null;
  resolved_at: string | null;
  level: string | null;
  merged_into: string | null;
}

/** The health center's correlation and escalation state (migration 0014, ADR 0019). */
export interface HealthCorrelationGroupTable {
  /** sha256 of team and key. */
  id: string;
  team: string;
  key: string;
  /** The group's record as JSON. */
  data: string;
  updated_at: number;
}

export interface HealthCorrelationMemberTable {
  team: string;
  fingerprint: string;
  key: string;
  starts_at: number;
}

export interface HealthEscalationTable {
  team: string;
  exception_id: string;
  policy: string;
  episode: number;
  episode_started_at: number;
  step: number;
  round: number;
  state: string;
  due_at: number | null;
  updated_at: number;
}

/** A risk episode (migration 0015-health-risks). JSON in `entities` and `details`. */
export interface RiskTable {
  seq: Generated<number>;
  id: string;
  team: string;
  source_kind: string;
  source_name: string;
  source_check: string;
  risk_key: string;
  run_id: string | null;
  title: string;
  score: number;
  entities: string;
  details: string;
  state: string;
  first_seen_at: string;
  last_seen_at: string;
  gone_at: string | null;
}

export interface RiskEntityTable {
  risk_seq: number;
  team: string;
  /** `Kind/name`. */
  entity: string;
}

export interface InspectionRunTable {
  seq: Generated<number>;
  id: string;
  team: string;
  inspection: string;
  trigger: string;
  slot: string | null;
  state: string;
  created_by: string;
  started_at: string;
  finished_at: string | null;
  counts: string;
}

export interface InspectionRunResultTable {
  run_id: string;
  check_name: string;
  ordinal: number;
  type: string;
  outcome: string;
  reason: string;
  message: string;
  findings: string;
  dropped: number;
  duration_ms: number;
}

/** One step of a Change's journal (migration 0022-changes). JSON in `data`. */
export interface ChangeJournalTable {
  uid: string;
  seq: number;
  team: string;
  change_name: string;
  step_key: string;
  type: string;
  batch: number | null;
  entity: string | null;
  at: string;
  term: string;
  data: string;
}

/** Pause, resume or abort, as asked (migration 0022-changes). */
export interface ChangeRequestTable {
  id: Generated<number>;
  team: string;
  change_name: string;
  uid: string;
  action: string;
  actor: string;
  reason: string;
  requested_at: string;
  handled_at: string | null;
}

/** Stop-the-line, per team or for the fleet (team `''`) (migration 0022-changes). */
export interface ChangeLineStopTable {
  id: Generated<number>;
  team: string;
  stopped_by: string;
  reason: string;
  stopped_at: string;
  released_by: string | null;
  release_reason: string | null;
  released_at: string | null;
}

/** One healing run (migration 0027-healing-runs): the trigger, diagnosis, decisions, actions as JSON in `data`. */
export interface HealingRunTable {
  id: string;
  team: string;
  policy: string;
  trigger_kind: string;
  trigger_key: string;
  entity: string;
  domain: string;
  mode: string;
  phase: string;
  /** 1 while the run counts against the in-flight guardrails (acting or verifying). */
  in_flight: number;
  rung: number;
  reason: string;
  message: string;
  outcome: string | null;
  data: string;
  version: number;
  next_at: string;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
}

/** A guardrail counter entry (migration 0027-healing-runs): an action started, failed or healed an entity. */
export interface HealingLedgerTable {
  id: Generated<number>;
  team: string;
  policy: string;
  entity: string;
  kind: string;
  run_id: string;
  entry_key: string;
  at: string;
}

/** A hand drain's hold on the disruption budget (migration 0026-disruption-holds, ADR 0033). */
export interface DisruptionHoldTable {
  team: string;
  entity_kind: string;
  entity: string;
  holder: string;
  acquired_at: string;
  expires_at: string;
}

/** The team's disruption budget epoch (migration 0029-disruption-budget-epochs): moved by every take. */
export interface DisruptionBudgetEpochTable {
  team: string;
  epoch: number;
}
