import type { ServerVersion } from '@gantry/client';
import type { CommandEnv } from '../io.ts';
import { toJson } from '../output.ts';
import { ReportedFailure, CliError } from '../errors.ts';
// `version --client` loads neither the HTTP client nor the YAML library: the session, the error report and
// the YAML printer are imported when they are needed (ADR 0035).
// Bundled into dist/ with the code (ADR 0011), so the version is the one the running code was built from.
import manifest from '../../package.json' with { type: 'json' };

export function clientVersion(): string {
  return manifest.version;
}

/** Client version always; the server's from GET /api/version unless --client. */
export async function version(
  env: CommandEnv,
  options: { client?: boolean; output?: string },
): Promise<void> {
  if (options.output !== undefined && options.output !== 'json' && options.output !== 'yaml') {
    throw new CliError(`unknown output format "${options.output}" (one of: json, yaml)`);
  }
  const client = { version: clientVersion() };
  let server: ServerVersion | undefined;
  let failure: unknown;
  if (options.client !== true) {
    try {
      const { openSession } = await import('../session.ts');
      server = await (await openSession(env)).client.version();
    } catch (error) {
      failure = error;
    }
  }
  if (options.output !== undefined) {
    const body = { clientVersion: client, ...(server ? { serverVersion: server } : {}) };
    env.io.out(options.output === 'json' ? toJson(body) : (await import('../output-yaml.ts')).toYaml(body));
  } else {
    env.io.out(`Client Version: ${client.version}\n`);
    if (server) {
      const extra = [
        server.commit ? `commit ${server.commit}` : '',
        server.database ? `database ${server.database}` : '',
      ].filter((s) => s !== '');
      env.io.out(`Server Version: ${server.version}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}\n`);
    }
  }
  if (failure !== undefined) {
    (await import('../report.ts')).printError((text) => env.io.err(text), failure);
    throw new ReportedFailure(1);
  }
}
