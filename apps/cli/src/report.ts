import { ApiError, ErrorCodes } from '@gantry/client';
import { ConnectionError } from './client.ts';
import { CliError } from './errors.ts';
import { describeOrigin, type ManifestOrigin } from './manifest-origin.ts';
import { pointerToFieldPath } from './objects.ts';

/**
 * The lines (without the `error: ` prefix) that explain a failure, naming the manifest it came from
 * when there is one: `apps/web.yaml (document 2): spec.replicas: must be integer [GANTRY_E_INVALID]`.
 */
export function errorLines(error: unknown, origin?: ManifestOrigin): string[] {
  const prefix = origin === undefined ? '' : `${describeOrigin(origin)}: `;
  if (error instanceof ApiError) {
    if (error.status === 401) return [`${prefix}not logged in or token expired: run gantry login`];
    const details = error.details.map((detail) => {
      const field = pointerToFieldPath(detail.path);
      return `${field === '' ? '' : `${field}: `}${detail.message}`;
    });
    // A validation failure's message is generic ("invalid Team"): one line per field says it all.
    // Other errors (conflicts...) explain themselves in the message; their details only add to it.
    if (error.code === ErrorCodes.invalid && details.length > 0)
      return details.map((detail) => `${prefix}${detail} [${error.code}]`);
    const extra = details.length > 0 ? ` (${details.join('; ')})` : '';
    return [`${prefix}${error.message}${extra} [${error.code}]`];
  }
  if (error instanceof ConnectionError || error instanceof CliError) return [`${prefix}${error.message}`];
  if (error instanceof Error) return [`${prefix}${error.message}`];
  return [`${prefix}${String(error)}`];
}

export function printError(err: (text: string) => void, error: unknown, origin?: ManifestOrigin): void {
  for (const line of errorLines(error, origin)) err(`error: ${line}\n`);
}
