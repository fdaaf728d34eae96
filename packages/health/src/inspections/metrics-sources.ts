import { resolveMetricsSource, type MetricsSecretReader, type MetricsSourceOutcome } from '@gantry/alerts';
import type { ResourceRepository } from '@gantry/store';

export type SourceResolution = MetricsSourceOutcome;

/** A team's MetricsSource with its credentials, read at each run so a rotated secret applies at once. */
export interface MetricsSourceResolver {
  resolve(team: string, name: string): Promise<SourceResolution>;
}

export function createMetricsSourceResolver(deps: {
  resources: Pick<ResourceRepository, 'get'>;
  secrets: MetricsSecretReader;
}): MetricsSourceResolver {
  return { resolve: (team, name) => resolveMetricsSource(deps.resources, deps.secrets, team, name) };
}
