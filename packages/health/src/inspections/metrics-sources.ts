import { NotFoundError, type MetricsSourceSpec, type Resource } from '@gantry/model';
import type { ResolvedMetricsSource } from '@gantry/alerts';
import type { ResourceRepository } from '@gantry/store';
import { CheckReason } from './reasons.ts';

export type SourceResolution =
  | { ok: true; source: ResolvedMetricsSource }
  | {
      ok: false;
      reason: typeof CheckReason.SourceNotFound | typeof CheckReason.SecretMissing;
      message: string;
    };

/** A team's MetricsSource with its credentials, read at each run so a rotated secret applies at once. */
export interface MetricsSourceResolver {
  resolve(team: string, name: string): Promise<SourceResolution>;
}

export function createMetricsSourceResolver(deps: {
  resources: Pick<ResourceRepository, 'get'>;
  secrets: { reveal(team: string, name: string): Promise<Record<string, string>> };
}): MetricsSourceResolver {
  return {
    async resolve(team, name) {
      const found = (await deps.resources.get({ kind: 'MetricsSource', team, name })) as
        Resource<MetricsSourceSpec> | undefined;
      if (!found)
        return {
          ok: false,
          reason: CheckReason.SourceNotFound,
          message: `no MetricsSource ${name} in team ${team}`,
        };
      const spec = found.spec;
      const source: ResolvedMetricsSource = { url: spec.url, timeoutMs: spec.timeoutSeconds * 1000 };
      if (!spec.auth) return { ok: true, source };
      const ref = 'bearerToken' in spec.auth ? spec.auth.bearerToken : spec.auth.basic.password;
      let value: string | undefined;
      try {
        value = (await deps.secrets.reveal(team, ref.name))[ref.key];
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
      if (value === undefined)
        return {
          ok: false,
          reason: CheckReason.SecretMissing,
          message: `MetricsSource ${name} needs key ${ref.key} of secret ${ref.name}, which does not exist`,
        };
      source.authorization =
        'bearerToken' in spec.auth
          ? `Bearer ${value}`
          : `Basic ${Buffer.from(`${spec.auth.basic.username}:${value}`).toString('base64')}`;
      return { ok: true, source };
    },
  };
}
