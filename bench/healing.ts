// Self-healing (issue 14): 1,000 HealingPolicies of one team matched against a new exception (target
// < 50 ms), and a 10-step diagnosis with query latency excluded (target < 200 ms). In process, no server.
// Usage: node --import tsx bench/healing.ts [--policies 1000] [--exceptions 200] [--diagnoses 50]
import { parseArgs } from 'node:util';
import { diagnose, PolicyIndex, type HealingTriggerView } from '@gantry/healing';
import {
  FakeEvidence,
  MemoryPolicySource,
  node,
  nodePolicyInput,
  TEAM,
  treeOrThrow,
} from '@gantry/healing/testing';

const { values } = parseArgs({
  options: {
    policies: { type: 'string', default: '1000' },
    exceptions: { type: 'string', default: '200' },
    diagnoses: { type: 'string', default: '50' },
  },
});
const policyCount = Number(values.policies);
const exceptionCount = Number(values.exceptions);
const diagnosisCount = Number(values.diagnoses);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5).toFixed(3),
    p99: percentile(sorted, 0.99).toFixed(3),
    max: sorted.at(-1)!.toFixed(3),
  };
};

// 1. Matching. Every policy has its own CEL (no two share a compiled program); a tenth match any NotReady.
const source = new MemoryPolicySource();
const compileStart = performance.now();
const policies = Array.from({ length: policyCount }, (_, i) =>
  source.add(
    `p${i}`,
    nodePolicyInput({
      trigger: {
        exceptions: {
          match:
            i % 10 === 0
              ? `exception.title.contains("NotReady") && exception.severity in ["critical", "major"] && size(exception.entities) < ${1000 + i}`
              : `exception.title.startsWith("Disk${i}") && exception.severity == "critical"`,
        },
      },
    }),
  ),
);
const compileMs = performance.now() - compileStart;
const index = new PolicyIndex(policies);
// As the healing controller does after each rebuild of its index: the CEL engine's cold start paid here.
const warmStart = performance.now();
index.warm();
const warmMs = performance.now() - warmStart;
const samples: number[] = [];
let matched = 0;
for (let i = 0; i < exceptionCount; i += 1) {
  const entity = node(`n${i}`, `r${i % 20}`);
  // A new trigger object each time: nothing of a previous match is reused.
  const trigger: HealingTriggerView = {
    kind: 'exception',
    team: TEAM,
    id: `e${i}`,
    active: true,
    since: new Date().toISOString(),
    entities: [entity],
    binding: {
      title: `NodeNotReady on n${i}`,
      severity: 'major',
      state: 'open',
      entities: [{ kind: 'Node', name: entity.name }],
    },
    alerts: [],
  };
  const start = performance.now();
  matched = index.match(trigger).length;
  samples.push(performance.now() - start);
}
console.log(
  JSON.stringify({
    bench: 'match',
    policies: policyCount,
    compileAllMs: Math.round(compileMs),
    warmMs: Math.round(warmMs),
    firstMs: samples[0]!.toFixed(3),
    matchedPerException: matched,
    ms: summary(samples),
    targetMs: 50,
  }),
);

// 2. A 10-step diagnosis: each step reads one PromQL evidence (5 ms of simulated latency, excluded).
const steps = Array.from({ length: 10 }, (_, i) => ({
  name: `s${i}`,
  branches: [
    {
      when: `evidence.m${i}.count > 0 && evidence.m${i}.value > 100.0 && evidence.m${i}.samples.exists(s, s.value > 1000.0)`,
      conclude: { rootCause: 'High', supporting: [`m${i}`], action: 'none' },
    },
  ],
  otherwise:
    i < 9
      ? { next: `s${i + 1}` }
      : { conclude: { rootCause: 'Low', supporting: ['m0', 'm9'], action: 'none' } },
}));
const tree = treeOrThrow(source.engine, 'ten-steps', {
  subject: 'Node',
  evidence: steps.map((_, i) => ({
    name: `m${i}`,
    promql: { source: 'prometheus', query: `m${i}{node="\${entity.name}"}` },
  })),
  root: 's0',
  steps,
});
const evidence = new FakeEvidence();
evidence.set('promql', {
  count: 20,
  value: 1.5,
  samples: Array.from({ length: 20 }, (_, i) => ({ labels: { node: `n${i}` }, value: i })),
});
evidence.delayMs = 5;
const engine: number[] = [];
const wall: number[] = [];
for (let i = 0; i < diagnosisCount; i += 1) {
  const entity = node(`n${i}`);
  const trigger = {
    kind: 'exception' as const,
    team: TEAM,
    id: `e${i}`,
    active: true,
    since: new Date().toISOString(),
    entities: [entity],
    binding: {},
    alerts: [],
  };
  const start = performance.now();
  const diagnosis = await diagnose(tree, { team: TEAM, entity, trigger, at: Date.now() }, evidence, {
    now: Date.now,
  });
  wall.push(performance.now() - start);
  if (diagnosis.path.length !== 10) throw new Error(`walked ${diagnosis.path.length} steps`);
  engine.push(diagnosis.engineMs);
}
console.log(
  JSON.stringify({
    bench: 'diagnosis',
    steps: 10,
    engineMs: summary(engine),
    wallMs: summary(wall),
    targetMs: 200,
  }),
);
