/**
 * Fakes for the healing controller's ports, shared by the unit tests and `bench/healing.ts`. Each keeps
 * what it was asked, so a test can check what was (not) done.
 */
import { Value } from '@sinclair/typebox/value';
import { createCelEngine, type CelEngine } from '@gantry/delivery';
import { HealingPolicySpec, type DiagnosisTreeSpec } from '@gantry/model';
import { compileBuiltinTrees } from './admission.ts';
import { compilePolicy, compileTree, type CompiledPolicy, type CompiledTree } from './compile.ts';
import type { EvidenceProviders, EvidenceResult } from './diagnosis.ts';
import type { PolicySource } from './healing-controller.ts';
import type {
  ActionProgress,
  DomainHealth,
  EntityReader,
  HealingActionRequest,
  HealingActuator,
  HealingEntity,
  HealingTriggerView,
  SignalHealth,
  SignalVerdict,
  TriggerSource,
} from './ports.ts';

export const TEAM = 'bigdata';

/** A policy spec with the schema's defaults filled in, from a partial one. */
export function policySpec(input: Record<string, unknown>): HealingPolicySpec {
  return Value.Default(HealingPolicySpec, structuredClone(input)) as HealingPolicySpec;
}

/** The node-not-ready policy the tests use: restart the kubelet, then cordon and drain, then page. */
export function nodePolicyInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    trigger: { exceptions: { match: 'exception.title.contains("NotReady")' } },
    scope: { subject: 'Node' },
    diagnosis: { tree: 'builtin/node-not-ready' },
    actions: [
      { name: 'restart-kubelet', jobRun: { template: 'restart-kubelet' }, timeout: '10m' },
      { name: 'cordon-drain', nodeOperation: { operation: 'drain' }, timeout: '20m' },
      { name: 'page', notify: { channels: ['oncall'], page: true } },
    ],
    guardrails: { mode: 'Act' },
    verification: { bake: '5m' },
    escalation: {
      rungs: [
        { action: 'restart-kubelet', timeout: '15m' },
        { action: 'cordon-drain', timeout: '30m' },
        { action: 'page', timeout: '1m' },
      ],
    },
    ...overrides,
  };
}

export function compileOrThrow(
  engine: CelEngine,
  name: string,
  input: Record<string, unknown>,
  trees: Map<string, CompiledTree>,
  team = TEAM,
): CompiledPolicy {
  const compiled = compilePolicy(engine, team, name, policySpec(input), (tree) => trees.get(tree));
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.value;
}

export function treeOrThrow(engine: CelEngine, name: string, spec: DiagnosisTreeSpec): CompiledTree {
  const compiled = compileTree(engine, name, spec);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.value;
}

/** Policies held in memory; `set` replaces the list (a new array, as a resource change would). */
export class MemoryPolicySource implements PolicySource {
  readonly engine = createCelEngine();
  readonly trees: Map<string, CompiledTree> = compileBuiltinTrees(this.engine);
  #policies: readonly CompiledPolicy[] = [];

  set(policies: readonly CompiledPolicy[]): void {
    this.#policies = [...policies];
  }
  add(name: string, input: Record<string, unknown>, team = TEAM): CompiledPolicy {
    const policy = compileOrThrow(this.engine, name, input, this.trees, team);
    this.set([...this.#policies, policy]);
    return policy;
  }
  policies(): Promise<readonly CompiledPolicy[]> {
    return Promise.resolve(this.#policies);
  }
  tree(_team: string, name: string): CompiledTree | undefined {
    return this.trees.get(name);
  }
}

export function node(name: string, rack = 'r1', cluster = 'east'): HealingEntity {
  return {
    kind: 'Node',
    name,
    cluster,
    host: name,
    domain: rack,
    labels: { 'topology.gantry.dev/rack': rack },
  };
}

/** Exceptions as triggers; `resolve` closes one. */
export class FakeTriggers implements TriggerSource {
  readonly triggers = new Map<string, HealingTriggerView>();

  openException(
    id: string,
    entities: HealingEntity[],
    title = `NodeNotReady on ${entities[0]?.name}`,
    since = '2026-03-02T08:00:00.000Z',
  ): HealingTriggerView {
    const trigger: HealingTriggerView = {
      kind: 'exception',
      team: TEAM,
      id,
      active: true,
      since,
      entities,
      binding: {
        title,
        severity: 'major',
        state: 'open',
        entities: entities.map((e) => ({ kind: e.kind, name: e.name })),
      },
      alerts: [{ labels: { alertname: 'NodeNotReady', node: entities[0]?.name ?? '' }, state: 'firing' }],
    };
    this.triggers.set(id, trigger);
    return trigger;
  }
  resolve(id: string): void {
    const trigger = this.triggers.get(id);
    if (trigger) this.triggers.set(id, { ...trigger, active: false });
  }
  active(): Promise<HealingTriggerView[]> {
    return Promise.resolve([...this.triggers.values()].filter((t) => t.active));
  }
  get(_team: string, _kind: string, id: string): Promise<HealingTriggerView | undefined> {
    return Promise.resolve(this.triggers.get(id));
  }
}

export class FakeSignals implements SignalHealth {
  verdict: SignalVerdict = { trusted: true };
  check(): Promise<SignalVerdict> {
    return Promise.resolve(this.verdict);
  }
}

export class FakeDomains implements DomainHealth {
  /** Shares by domain; a domain not set is not counted (nothing freezes it). */
  readonly byDomain = new Map<string, { healthy: number; total: number }>();
  /** Calls of `shares`: the controller reads once per pass. */
  reads = 0;
  shares(): Promise<ReadonlyMap<string, { healthy: number; total: number }>> {
    this.reads += 1;
    return Promise.resolve(new Map(this.byDomain));
  }
}

export class FakeEntities implements EntityReader {
  readonly entities = new Map<string, Record<string, unknown>>();
  read(_team: string, entity: HealingEntity): Promise<Record<string, unknown> | undefined> {
    return Promise.resolve(this.entities.get(entity.name));
  }
}

/** Records every start; actions finish as `outcome` says (per action name), default succeeded. */
export class FakeActuator implements HealingActuator {
  readonly starts: HealingActionRequest[] = [];
  readonly outcomes = new Map<string, ActionProgress>();
  /** Called on each start, e.g. to make the trigger resolve as the real action would. */
  onStart?: (request: HealingActionRequest) => void;

  start(request: HealingActionRequest) {
    this.starts.push(request);
    this.onStart?.(request);
    return Promise.resolve({
      ok: true as const,
      handle: `fake/${request.key}/${request.action.name}`,
      done: false,
    });
  }
  progress(_team: string, handle: string): Promise<ActionProgress> {
    const action = handle.split('/').at(-1)!;
    return Promise.resolve(this.outcomes.get(action) ?? { state: 'succeeded' });
  }
  /** Starts of real actions (not pages). */
  get acted(): HealingActionRequest[] {
    return this.starts.filter((s) => !s.action.notify);
  }
  get pages(): HealingActionRequest[] {
    return this.starts.filter((s) => s.action.notify?.page);
  }
}

/** Evidence from tables set by the test; `calls` counts queries per kind. */
export class FakeEvidence implements EvidenceProviders {
  readonly values = new Map<string, EvidenceResult>();
  readonly calls: string[] = [];
  /** Simulated latency per query (the engine's own time excludes it). */
  delayMs = 0;

  set(kind: string, value: Record<string, unknown> | EvidenceResult): void {
    this.values.set(
      kind,
      'ok' in value && typeof value.ok === 'boolean' ? (value as EvidenceResult) : { ok: true, value },
    );
  }
  async #answer(kind: string): Promise<EvidenceResult> {
    this.calls.push(kind);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return (
      this.values.get(kind) ?? { ok: false, reason: 'NotSet', message: `no ${kind} evidence in the test` }
    );
  }
  promql(_team: string, _source: string, query: string) {
    return this.values.has(`promql:${query}`) ? this.#answer(`promql:${query}`) : this.#answer('promql');
  }
  inventory(_team: string, _entity: HealingEntity, object: string) {
    return this.#answer(`inventory:${object}`);
  }
  events(_team: string, _entity: HealingEntity, _since: number, _until: number, reason?: string) {
    return this.#answer(reason ? `events:${reason}` : 'events');
  }
  changes() {
    return this.#answer('changes');
  }
  heartbeat() {
    return this.#answer('heartbeat');
  }
  job(_team: string, _entity: HealingEntity, template: string) {
    return this.#answer(`job:${template}`);
  }
  alerts() {
    return this.#answer('alerts');
  }
}

/** Evidence for node-not-ready concluding KubeletDown. */
export function kubeletDownEvidence(evidence = new FakeEvidence()): FakeEvidence {
  evidence.set('inventory:node', {
    found: true,
    ready: false,
    unschedulable: false,
    conditions: { Ready: 'False' },
    labels: {},
  });
  evidence.set('heartbeat', { found: true, online: true, status: 'Online', ageSeconds: 3 });
  evidence.set('job:check-kubelet', { state: 'Succeeded', exitCode: 3, output: 'inactive' });
  evidence.set('events', { count: 0, warnings: 0, reasons: [], items: [] });
  return evidence;
}

/** A small tree over a node: ready → fine; otherwise `b` concludes the host is down (cordon-drain). */
export function nodeTreeInput(overrides: Partial<DiagnosisTreeSpec> = {}): DiagnosisTreeSpec {
  return {
    subject: 'Node',
    evidence: [
      { name: 'node', inventory: { object: 'node' } },
      { name: 'agent', heartbeat: {} },
    ],
    root: 'a',
    steps: [
      {
        name: 'a',
        branches: [
          {
            when: 'evidence.node.ready',
            conclude: { rootCause: 'Fine', supporting: ['node'], action: 'none' },
          },
        ],
        otherwise: { next: 'b' },
      },
      {
        name: 'b',
        branches: [],
        otherwise: { conclude: { rootCause: 'HostDown', supporting: ['agent'], action: 'cordon-drain' } },
      },
    ],
    ...overrides,
  };
}
