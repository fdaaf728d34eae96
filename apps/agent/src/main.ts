// The standalone agent (dist/gantry-agent.mjs, with its lazily loaded job runner beside it): the same as
// `gantry agent`, without the rest of the CLI.
import { parseArgs } from 'node:util';
import { runAgent } from './run.ts';

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    'join-token': { type: 'string' },
    'work-dir': { type: 'string' },
    name: { type: 'string' },
    labels: { type: 'string' },
    'ca-file': { type: 'string' },
    'log-level': { type: 'string' },
  },
});
if (!values.server) {
  process.stderr.write(
    'usage: gantry-agent --server URL [--join-token TOKEN] [--work-dir DIR] [--name NAME] [--labels k=v,...] [--ca-file PEM]\n',
  );
  process.exit(2);
}
process.exitCode = await runAgent(
  {
    server: values.server,
    ...(values['join-token'] ? { joinToken: values['join-token'] } : {}),
    ...(values['work-dir'] ? { workDir: values['work-dir'] } : {}),
    ...(values.name ? { name: values.name } : {}),
    ...(values.labels ? { labels: values.labels } : {}),
    ...(values['ca-file'] ? { caFile: values['ca-file'] } : {}),
    ...(values['log-level'] ? { logLevel: values['log-level'] as 'info' } : {}),
  },
  (line) => void process.stderr.write(line),
);
