import type { HealingEntity } from './ports.ts';

/** The placeholders an evidence query or parameter may use, and where each value comes from. */
export const PLACEHOLDERS = [
  'entity.name',
  'entity.cluster',
  'entity.node',
  'entity.host',
  'entity.namespace',
  'entity.domain',
  'trigger.id',
] as const;

const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** The placeholders of `text` that are not known, for admission. */
export function unknownPlaceholders(text: string): string[] {
  const known = new Set<string>(PLACEHOLDERS);
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1]!.trim()).filter((name) => !known.has(name));
}

/** Replaces the placeholders by the entity's and trigger's values (an absent value becomes ''). */
export function fillPlaceholders(text: string, entity: HealingEntity, triggerId: string): string {
  const values = placeholderValues(entity, triggerId);
  return text.replace(PLACEHOLDER, (_, name: string) => values[name.trim()] ?? '');
}

/** Each placeholder's value for the entity and trigger. */
export function placeholderValues(entity: HealingEntity, triggerId: string): Record<string, string> {
  return {
    'entity.name': entity.name,
    'entity.cluster': entity.cluster ?? '',
    'entity.node': entity.node ?? (entity.kind === 'Node' ? entity.name : ''),
    'entity.host': entity.host ?? (entity.kind === 'Host' ? entity.name : ''),
    'entity.namespace': entity.namespace ?? '',
    'entity.domain': entity.domain,
    'trigger.id': triggerId,
  };
}
