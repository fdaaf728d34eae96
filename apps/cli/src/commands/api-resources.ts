import type { CommandEnv } from '../io.ts';
import { apiVersionOf } from '../kinds.ts';
import { formatTable } from '../output.ts';
import { openSession } from '../session.ts';

/** The kinds the server serves, from `GET /api/kinds`. */
export async function apiResources(
  env: CommandEnv,
  options: { output?: string; noHeaders?: boolean },
): Promise<void> {
  const session = await openSession(env);
  const kinds = [...(await session.kinds())].sort((a, b) => a.plural.localeCompare(b.plural));
  if (options.output === 'name') {
    env.io.out(kinds.map((k) => `${k.plural}\n`).join(''));
    return;
  }
  const rows = kinds.map((k) => [
    k.plural,
    k.shortNames.join(','),
    apiVersionOf(k),
    String(k.scope === 'Team'),
    k.kind,
  ]);
  env.io.out(
    formatTable(['NAME', 'SHORTNAMES', 'APIVERSION', 'TEAMED', 'KIND'], rows, {
      noHeaders: options.noHeaders === true,
    }),
  );
}
