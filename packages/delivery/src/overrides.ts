import { applyMergePatch, type ComponentSpec, type OverrideSpec, type TraitSpec } from '@gantry/model';

type ComponentOverride = OverrideSpec['components'][number];

/**
 * The component as an override makes it: properties merged (RFC 7396 merge patch), each named trait's
 * properties merged, a trait the component lacks added, and `disable: true` removing one.
 */
export function applyOverride(component: ComponentSpec, override: ComponentOverride): ComponentSpec {
  const properties = override.properties
    ? (applyMergePatch(component.properties ?? {}, override.properties) as Record<string, unknown>)
    : component.properties;
  let traits: TraitSpec[] = [...(component.traits ?? [])];
  for (const patch of override.traits ?? []) {
    const index = traits.findIndex((trait) => trait.type === patch.type);
    if (patch.disable) {
      traits = traits.filter((trait) => trait.type !== patch.type);
    } else if (index < 0) {
      traits.push({ type: patch.type, ...(patch.properties ? { properties: patch.properties } : {}) });
    } else if (patch.properties) {
      const current = traits[index]!;
      traits[index] = {
        ...current,
        properties: applyMergePatch(current.properties ?? {}, patch.properties) as Record<string, unknown>,
      };
    }
  }
  return { ...component, ...(properties ? { properties } : {}), traits };
}
