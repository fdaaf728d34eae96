import type { ResolvedMetricsSource } from '@gantry/alerts';
import { NotFoundError, type MetricsSourceSpec, type Resource } from '@gantry/model';
import type { ResourceRepository } from '@gantry/store';
import { BaselineReason } from './baseline-conditions.ts';

/** Reads secrets' values; the evaluator's only use of the secret store. */
export interface BaselineSecretReader {
  reveal(team: string, name: string): Promise<Record<string, string>>;
}

export type SourceOutcome =
  | { ok: true; source: ResolvedMetricsSource }
  | {
      ok: false;
      reason: typeof BaselineReason.SourceNotFound | typeof BaselineReason.SecretMissing;
      message: string;
    };

/**
 * The team's MetricsSource with its credentials, read at every evaluation so that a rotated secret applies
 * at once (the same reading as the alert rules' evaluator, ADR 0015).
 */
export async function resolveMetricsSource(
  resources: Pick<ResourceRepository, 'get'>,
  secrets: BaselineSecretReader,
  team: string,
  name: string,
): Promise<SourceOutcome> {
  const found = (await resources.get({ kind: 'MetricsSource', team, name })) as
    Resource<MetricsSourceSpec> | undefined;
  if (!found)
    return {
      ok: false,
      reason: BaselineReason.SourceNotFound,
      message: `no MetricsSource ${name} in team ${team}`,
    };
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
      reason: BaselineReason.SecretMissing,
      message: `MetricsSource ${name} needs key ${ref.key} of secret ${ref.name} in team ${team}, which does not exist`,
    };
  source.authorization =
    'bearerToken' in spec.auth
      ? `Bearer ${value}`
      : `Basic ${Buffer.from(`${spec.auth.basic.username}:${value}`).toString('base64')}`;
  return { ok: true, source };
}
