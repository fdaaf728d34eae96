import type { ComponentSpec } from '@gantry/model';

/**
 * Runs `step` over components in dependsOn order, in waves: a wave is every component whose dependencies
 * have all had their step, and its steps run at once. Components on a cycle never run (the trait check
 * refuses cycles, so only a stale revision has one).
 */
export async function inDependencyOrder(
  components: readonly ComponentSpec[],
  step: (component: ComponentSpec) => Promise<void>,
): Promise<void> {
  const pending = new Set(components.map((c) => c.name));
  const byName = new Map(components.map((c) => [c.name, c]));
  while (pending.size > 0) {
    const ready = [...pending].filter((name) =>
      (byName.get(name)!.dependsOn ?? []).every((d) => !pending.has(d)),
    );
    if (ready.length === 0) break;
    for (const name of ready) pending.delete(name);
    await Promise.all(ready.map((name) => step(byName.get(name)!)));
  }
}
