import { isGantryError, type Resource, type ResourceInput } from '@gantry/model';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import type { ResourceService } from '@gantry/resources';

const CALLER = { principal: SYSTEM_PRINCIPAL, source: 'catalog' };
export const BUILTIN_LABEL = 'catalog.gantry.dev/builtin';

export interface SeedReport {
  created: string[];
  upgraded: string[];
  kept: string[];
}

/** Compares dotted numeric versions (`1.2.0` < `1.10.0`); a pre-release suffix is ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split('-')[0]!.split('.').map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Installs the built-in definitions: creates the missing ones and upgrades those still marked built-in
 * whose version is older. A definition an operator took over (label removed, or a version at least as
 * new) is left as it is. Upgrades are forced past the impact check and audited as such.
 */
export async function seedCatalog(
  resources: ResourceService,
  definitions: readonly ResourceInput[],
): Promise<SeedReport> {
  const report: SeedReport = { created: [], upgraded: [], kept: [] };
  for (const definition of definitions) {
    const id = `${definition.kind}/${definition.metadata.name}`;
    let current: Resource<{ version: string }> | undefined;
    try {
      current = (await resources.get(
        CALLER,
        definition.kind,
        undefined,
        definition.metadata.name,
      )) as Resource<{ version: string }>;
    } catch (error) {
      if (!(isGantryError(error) && error.status === 404)) throw error;
    }
    if (!current) {
      await resources.create(CALLER, definition.kind, undefined, definition);
      report.created.push(id);
      continue;
    }
    const version = (definition.spec as { version: string }).version;
    if (
      current.metadata.labels?.[BUILTIN_LABEL] !== 'true' ||
      compareVersions(current.spec.version, version) >= 0
    ) {
      report.kept.push(id);
      continue;
    }
    await resources.replace(CALLER, definition.kind, undefined, definition.metadata.name, definition, {
      force: true,
    });
    report.upgraded.push(id);
  }
  return report;
}
