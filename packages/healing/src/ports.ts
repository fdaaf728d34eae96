/**
 * The seams of self-healing (ADR 0032). The healing controller and the diagnosis engine take these
 * interfaces; the server wires the real implementations (the health center's exceptions, alerts and risks,
 * the fleet inventory, the change engine, the notification outbox). Tests use fakes.
 */
import type { WriteFence } from '@gantry/store';
import type { ChangeSpec, DiagnosisSubject, HealingAction, WebhookMessage } from '@gantry/model';

/** The entity a run heals. `domain` is its failure domain's value ('' when it has none). */
export interface HealingEntity {
  kind: DiagnosisSubject;
  name: string;
  /** The cluster's name (not `team/name`), for nodes and workloads. */
  cluster?: string;
  namespace?: string;
  /** For a Workload: Deployment, StatefulSet, DaemonSet... (default Deployment). */
  workloadKind?: string;
  /** For a Workload: the Application it belongs to, when known. */
  application?: string;
  /** The node a host or workload pod is on, when known. */
  node?: string;
  /** The host (agent) of a node, when known. */
  host?: string;
  domain: string;
  labels: Record<string, string>;
}

/** A stable text key of an entity: `Node/east/n1`, `Host/h1`, `Workload/east/ns/name`. */
export function entityKey(entity: Pick<HealingEntity, 'kind' | 'name' | 'cluster' | 'namespace'>): string {
  return [entity.kind, entity.cluster, entity.namespace, entity.name].filter((part) => part).join('/');
}

export type TriggerKind = 'exception' | 'alert' | 'risk' | 'condition';

/** Something that may need healing, as the controller sees it now. */
export interface HealingTriggerView {
  kind: TriggerKind;
  team: string;
  /** The exception's id, the alert's fingerprint, the risk's id, the condition's object key. */
  id: string;
  /** Open exception, firing alert, open risk, condition still true. Resolved ones are never acted on. */
  active: boolean;
  /** When it began (ISO): the exception's episode, the alert's start, the condition's last transition. */
  since: string;
  entities: HealingEntity[];
  /** What the policy's match CEL sees as `exception`, `alert`, `risk` (or `node`/`host` for conditions). */
  binding: Record<string, unknown>;
  /** The trigger's alerts (an exception's members; the alert itself). */
  alerts: { labels: Record<string, string>; state: 'firing' | 'resolved' }[];
}

/** The teams that have policies for each kind of trigger: a source reads only what could match. */
export type TriggerInterest = Readonly<Record<Exclude<TriggerKind, 'condition'>, ReadonlySet<string>>>;

/** Exceptions, alerts and risks that are active now (level-triggered), and one of them read again. */
export interface TriggerSource {
  active(now: number, interest: TriggerInterest): Promise<HealingTriggerView[]>;
  get(team: string, kind: TriggerKind, id: string): Promise<HealingTriggerView | undefined>;
}

/** An object of the inventory a lasting-condition trigger is evaluated over. */
export interface ConditionSubject {
  entity: HealingEntity;
  /** What the condition CEL sees as `node` or `host`. */
  binding: Record<string, unknown>;
  /** When the object's state last changed (Ready's lastTransitionTime, a host's status since), ms. */
  changedAt: number;
}

/** The inventory's nodes and hosts of a team, for lasting-condition triggers. */
export interface ConditionSubjects {
  list(team: string, over: 'nodes' | 'hosts'): Promise<ConditionSubject[]>;
}

/** Whether the signals healing decides on can be trusted now (partition awareness). */
export type SignalVerdict =
  | { trusted: true }
  | { trusted: false; reason: 'PrometheusDown' | 'ApiServerUnreachable' | 'AgentsSilent'; message: string };

export interface SignalHealth {
  /**
   * The verdict for an entity depends on its team and its cluster only: the controller asks once per team
   * and cluster in a pass and keeps the answer for the pass's other runs.
   */
  check(team: string, entity: HealingEntity, now: number): Promise<SignalVerdict>;
}

/** How many entities of each failure domain are healthy now (for the minimum healthy share). */
export interface DomainHealth {
  /**
   * Every domain of the team's entities of `subject` (by the value of `domainLabel`) with how many of
   * its members are healthy: one read for all domains, which the controller keeps for the rest of its pass.
   */
  shares(
    team: string,
    subject: DiagnosisSubject,
    domainLabel: string,
  ): Promise<ReadonlyMap<string, { healthy: number; total: number }>>;
}

/** The entity read again after an action, for the verification's CEL (`entity`). */
export interface EntityReader {
  read(team: string, entity: HealingEntity): Promise<Record<string, unknown> | undefined>;
}

/** What the actuator is asked to do; `key` is unique per run, rung and attempt: a repeat changes nothing more. */
export interface HealingActionRequest {
  key: string;
  team: string;
  policy: string;
  runId: string;
  entity: HealingEntity;
  action: HealingAction;
  /** The evidence bundle for people: diagnosis summary, path, actions so far. */
  summary: string;
  details: Record<string, unknown>;
  /** The trigger's id and the diagnosis's root cause, for a Job template's placeholders. */
  triggerId?: string;
  rootCause?: string;
  /** The controller's term: what the action writes (a Change, a silence, a message) commits only in it. */
  fence?: WriteFence;
}

export type ActionStart =
  { ok: true; handle: string; done: boolean } | { ok: false; reason: string; message: string };

export type ActionProgress =
  /**
   * `held`: the Change waits on something that is not its own work (stop-the-line, a closed window, the
   * disruption budget, a pause): the run reports it, and the action's timeout still runs.
   */
  | { state: 'running'; message?: string; held?: { reason: string; message: string } }
  | { state: 'succeeded'; message?: string }
  | { state: 'failed'; reason: string; message: string };

/**
 * Carries out a policy's action. Every action that changes the fleet is a Change (windows, stop-the-line,
 * the shared disruption budget); notifications and silences are not fleet changes.
 */
export interface HealingActuator {
  start(request: HealingActionRequest): Promise<ActionStart>;
  progress(team: string, handle: string): Promise<ActionProgress>;
}

/** A Change as healing submits it. */
export type HealingChangeSpec = Pick<
  ChangeSpec,
  | 'description'
  | 'nodeOperation'
  | 'workloadOperation'
  | 'applicationRevision'
  | 'jobRun'
  | 'kubernetesJob'
  | 'targets'
> & {
  plan: ChangeSpec['plan'];
  failurePolicy: ChangeSpec['failurePolicy'];
  windows: ChangeSpec['windows'];
};

/**
 * The change engine as healing uses it (to be wired by the lead on `@gantry/changes`): creates a Change,
 * idempotent by name (a second submit of an existing name answers `exists`), and reads its phase.
 */
export interface ChangeSubmitter {
  submit(
    team: string,
    name: string,
    spec: HealingChangeSpec,
    labels: Record<string, string>,
    fence?: WriteFence,
  ): Promise<{ ok: true; created: boolean } | { ok: false; reason: string; message: string }>;
  /** The Change's phase and, while something holds it (its Blocked condition, a pause), what and why. */
  phase(
    team: string,
    name: string,
  ): Promise<{ phase: string; message?: string; held?: { reason: string; message: string } } | undefined>;
}

/**
 * The shared disruption budget per failure domain (built beside this in `@gantry/changes`): a slot for an
 * entity taken by a holder, idempotent per holder. Healing asks before it submits a change that takes an
 * entity out, so a spent budget waits instead of queueing changes.
 */
export interface DisruptionBudgetPort {
  acquire(request: {
    team: string;
    domain: string;
    entity: string;
    holder: string;
    at: number;
  }): Promise<{ granted: true } | { granted: false; reason: string; message: string }>;
  release(request: { team: string; domain: string; entity: string; holder: string }): Promise<void>;
}

/** The notification outbox (`NotificationService.enqueue`, idempotent on dedupKey). */
export interface HealingNotifier {
  enqueue(
    input: {
      team: string;
      channel: string;
      groupKey: string;
      dedupKey: string;
      message: WebhookMessage;
    },
    options?: { fence?: WriteFence },
  ): Promise<{ id: string; created: boolean }>;
}

/** Silences as healing creates them (a Silence resource of the team). */
export interface SilenceCreator {
  create(
    team: string,
    name: string,
    silence: {
      matchers: { name: string; value: string }[];
      startsAt: string;
      endsAt: string;
      comment: string;
    },
    fence?: WriteFence,
  ): Promise<{ ok: true } | { ok: false; reason: string; message: string }>;
}

/**
 * What healing does to the exception it healed: marks it mitigated (its Gantry events, regarding the
 * entity, are on the exception's timeline already: the timeline shows the events of its entities).
 */
export interface HealingOutcomePort {
  markHealed(team: string, exceptionId: string, message: string): Promise<void>;
}

/** Which revision an application's cluster ran before its current one: what a rollback returns it to. */
export interface ApplicationRevisions {
  /** Undefined when there is none (a first revision) or the application is gone. */
  previous(team: string, application: string, cluster?: string): Promise<number | undefined>;
}

/** The change engine's pause, for the `pauseChanges` action. */
export interface ChangePauser {
  /**
   * Pauses the team's running Changes whose batches name `entities` (entity names as the change engine
   * writes them: `cluster/node`, a host, `cluster/application`), recorded with the reason; answers their
   * names. A change paused already or ended is left as it is.
   */
  pauseTouching(team: string, entities: readonly string[], reason: string): Promise<string[]>;
}
