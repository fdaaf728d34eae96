import type { Controller, ObjectKey } from '@gantry/controllers';
import type { ChangeEngine } from './engine.ts';

/** The controller runtime's face of the engine: kind Change, lease `controller/change`. */
export function createChangeController(
  engine: ChangeEngine,
  options: {
    concurrency?: number;
    onLeading?: (enqueue: ((key: ObjectKey) => void) | undefined) => void;
  } = {},
): Controller {
  return {
    name: 'change',
    kind: 'Change',
    concurrency: options.concurrency ?? 4,
    reconcile: (ctx, key) => engine.reconcile(ctx, key),
    onLeading(term) {
      engine.beginTerm(term.signal);
      options.onLeading?.(term.enqueue);
      term.signal.addEventListener('abort', () => options.onLeading?.(undefined), { once: true });
    },
    // The engine's own status writes: observedGeneration caught up, nothing new to do.
    ignore: ({ type, object }) =>
      type === 'MODIFIED' &&
      (object.status as { observedGeneration?: number } | undefined)?.observedGeneration ===
        object.metadata.generation,
  };
}
