import { NotFoundError, type MetricsSourceSpec, type Resource } from '@gantry/model';
import type { ResourceRepository } from '@gantry/store';
import type { ResolvedMetricsSource } from './prometheus-client.ts';

/** Reads secrets' values: what reading a MetricsSource needs of the secret store. */
export interface MetricsSecretReader {
  reveal(team: string, name: string): Promise<Record<string, string>>;
}

/**
 * Why a MetricsSource could not be read. The values are the reasons the alert rules' and the baselines'
 * conditions use, so each caller reports them as its own.
 */
export type MetricsSourceProblem = 'SourceNotFound' | 'SecretMissing';

export type MetricsSourceOutcome =
  { ok: true; source: ResolvedMetricsSource } | { ok: false; reason: MetricsSourceProblem; message: string };

/**
 * A team's MetricsSource with its credentials. Read at every evaluation, so that a rotated secret applies
 * at once (ADR 0015); shared by the alert rules, the baselines and the inspections.
 */
export async function resolveMetricsSource(
  resources: Pick<ResourceRepository, 'get'>,
  secrets: MetricsSecretReader,
  team: string,
  name: string,
): Promise<MetricsSourceOutcome> {
  const found = (await resources.get({ kind: 'MetricsSource', team, name })) as
    Resource<MetricsSourceSpec> | undefined;
  if (!found)
    return { ok: false, reason: 'SourceNotFound', message: `no MetricsSource ${name} in team ${team}` };
  const spec = found.spec;
  const source: ResolvedMetricsSource = { url: spec.url, timeoutMs: spec.timeoutSeconds * 1000 };
  if (!spec.auth) return { ok: true, source };
  const ref = 'bearerToken' in spec.auth ? spec.auth.bearerToken : spec.auth.basic.password;
  let value: string | undefined;
  try {
    value = (await secrets.reveal(team, ref.name))[ref.key];
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  if (value === undefined)
    return {
      ok: false,
      reason: 'SecretMissing',
      message: `MetricsSource ${name} needs key ${ref.key} of secret ${ref.name} in team ${team}, which does not exist`,
    };
  source.authorization =
    'bearerToken' in spec.auth
      ? `Bearer ${value}`
      : `Basic ${Buffer.from(`${spec.auth.basic.username}:${value}`).toString('base64')}`;
  return { ok: true, source };
}
