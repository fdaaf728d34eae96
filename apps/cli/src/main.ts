import { Command, Option } from 'commander';
import { configPath } from './config-path.ts';
import { CliError, ReportedFailure } from './errors.ts';
import type { CommandEnv, Io } from './io.ts';
import type { AlertsOptions } from './commands/alerts.ts';
import type { EventsOptions } from './commands/events.ts';
import type { SilenceCreateOptions, SilenceListOptions } from './commands/silence.ts';
import type { ListJobsOptions, RunOptions } from './commands/jobs.ts';
import type { ExceptionAction, ExceptionListOptions } from './commands/exceptions.ts';
import type { InspectionRunsOptions, RisksOptions } from './commands/risks.ts';
import type { StatsOptions } from './commands/stats.ts';
import type { DryRunOptions, HealRunsOptions } from './commands/heal.ts';

// Wiring only: each command's module is imported when that command runs, which keeps start-up fast (ADR
// 0011). Nothing imported here at the top may load the YAML library, the HTTP client or the server.

const io: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin)
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  },
  now: () => new Date(),
};

// `gantry get ... | head` closes the pipe early; that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

/** Runs a command, turning failures into `error: ...` lines and an exit code. */
async function run(
  command: Command,
  task: (env: CommandEnv) => Promise<void>,
  errorExitCode?: number,
): Promise<void> {
  const env: CommandEnv = {
    io,
    configPath: configPath(process.env),
    contextName: gantryContextName(command),
  };
  try {
    await task(env);
  } catch (error) {
    if (error instanceof ReportedFailure) {
      process.exitCode = error.exitCode;
      return;
    }
    (await import('./report.ts')).printError(io.err, error);
    if (!(error instanceof CliError) && error instanceof Error && process.env['GANTRY_DEBUG'])
      io.err(`${error.stack ?? ''}\n`);
    process.exitCode = errorExitCode ?? (error instanceof CliError ? error.exitCode : 1);
  }
}

/**
 * Commands whose own `--context` is a kubeconfig context (kubectl's meaning), not a Gantry context: for
 * them, the Gantry context is the `--context` given before the command name.
 */
const kubeContextCommands = new WeakSet<Command>();

/** `--context NAME`: the one nearest the command wins, as with optsWithGlobals. */
function gantryContextName(command: Command): string | undefined {
  for (let at: Command | null = command; at !== null; at = at.parent) {
    if (kubeContextCommands.has(at)) continue;
    const value = at.opts<{ context?: string }>().context;
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * The global `--context` works anywhere on the command line: program options stop at the command name
 * (so that `cluster add --context` can mean a kubeconfig context), and every other command takes it too.
 */
function acceptContextEverywhere(command: Command): void {
  for (const sub of command.commands) {
    const hasOwn = sub.options.some((option) => option.long === '--context');
    if (!hasOwn && sub.name() !== 'server') {
      sub.addOption(
        new Option(
          '--context <name>',
          'use this context from the config instead of the current one',
        ).hideHelp(),
      );
    }
    acceptContextEverywhere(sub);
  }
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const filenameOption = (verb: string): Option =>
  new Option(
    '-f, --filename <path>',
    `file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin to ${verb}; repeatable`,
  )
    .argParser(collect)
    .default([]);
const teamOption = (): Option =>
  new Option('--team <team>', 'team scope (default: the context\'s team, else "default")');
const outputOption = (): Option =>
  new Option('-o, --output <format>', 'output format')
    .choices(['table', 'yaml', 'json', 'name'])
    .default('table');

const program = new Command('gantry')
  .description('Command-line client for Gantry: declarative resources, kubectl-style.')
  .option('--context <name>', 'use this context from the config instead of the current one')
  .enablePositionalOptions()
  .showHelpAfterError()
  .addHelpText(
    'after',
    '\nContexts are stored in ~/.gantry/config (or $GANTRY_CONFIG). Reference: docs/cli.md',
  );

program
  .command('login')
  .description('log in to a server and store a context (and make it current)')
  .requiredOption('--server <url>', 'server URL, e.g. https://gantry.example.com')
  .option('--username <user>', 'user name (the password is read from stdin with --password-stdin)')
  .option('--password-stdin', 'read the password from stdin')
  .option('--token <token>', 'use an API token instead of a password')
  .option('--team <team>', 'default team for this context')
  .addHelpText(
    'after',
    '\nExamples:\n  echo "$PASSWORD" | gantry login --server https://gantry.example.com --username alice --password-stdin\n  gantry login --server https://gantry.example.com --token "$GANTRY_TOKEN" --team payments',
  )
  .action(async (options, command: Command) =>
    run(command, async (env) => (await import('./commands/login.ts')).login(env, options)),
  );

const config = program.command('config').description('inspect and change contexts in the config file');
config
  .command('get-contexts')
  .description('list contexts (* marks the current one)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'name']))
  .action(async (options: { output?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/config.ts')).getContexts(env, options)),
  );
config
  .command('use-context')
  .argument('<name>', 'context name')
  .description('make a context the current one')
  .action(async (name: string, _options, command: Command) =>
    run(command, async (env) => (await import('./commands/config.ts')).useContext(env, name)),
  );
config
  .command('current-context')
  .description('print the current context name')
  .action(async (_options, command: Command) =>
    run(command, async (env) => (await import('./commands/config.ts')).currentContext(env)),
  );
config
  .command('set-context')
  .argument('[name]', 'context name (default: the current context)')
  .description("change a context's default team or server")
  .option('--team <team>', 'default team ("" to clear)')
  .option('--server <url>', 'server URL')
  .action(async (name: string | undefined, options: { team?: string; server?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/config.ts')).setContext(env, name, options)),
  );

program
  .command('apply')
  .description('create or replace resources from manifests (prints kind/name created|configured|unchanged)')
  .addOption(filenameOption('apply'))
  .addOption(teamOption())
  .option('--dry-run', 'send to the server with dryRun=All: validate and show the outcome, write nothing')
  .option(
    '--force',
    'write a definition even though applications that use it would fail their trait check (recorded in the audit log)',
  )
  .addHelpText(
    'after',
    '\nExamples:\n  gantry apply -f teams.yaml\n  gantry apply -f deploy/ --dry-run\n  cat team.json | gantry apply -f -',
  )
  .action(
    async (
      options: { filename: string[]; team?: string; dryRun?: boolean; force?: boolean },
      command: Command,
    ) => run(command, async (env) => (await import('./commands/apply.ts')).apply(env, options)),
  );

program
  .command('get')
  .argument('<kind>', 'kind, plural or singular, any case (e.g. Team, teams, team)')
  .argument('[names...]', 'names (default: all)')
  .description('list resources, or show named ones')
  .option('-l, --selector <selector>', 'label selector, e.g. env=prod,tier!=db,region in (eu,us)')
  .addOption(teamOption())
  .option('-A, --all-teams', 'list across every team you can see')
  .addOption(outputOption())
  .option('-w, --watch', 'after listing, print changes as they happen')
  .option('--no-headers', 'omit the table header')
  .option(
    '--cluster <name>',
    'nodes, namespaces, workloads, pods: this cluster of the team (default: every cluster)',
  )
  .option('-n, --namespace <namespace>', 'workloads, pods: this Kubernetes namespace only')
  .option('--status <status>', 'hosts: Online, Offline or Unknown only')
  .addHelpText(
    'after',
    `
KIND may also be hosts (the machines running gantry agent; see gantry join-token).
KIND may also be what Gantry sees in the clusters: nodes (no), namespaces (ns), workloads, deployments
(deploy), statefulsets (sts), daemonsets (ds), jobs, cronjobs (cj), pods (po: counts per namespace).

Examples:
  gantry get teams
  gantry get team platform -o yaml
  gantry get teams -l tier=core -w
  gantry get nodes --cluster hz-prod-01
  gantry get deploy -n web`,
  )
  .action(
    async (
      kind: string,
      names: string[],
      options: {
        selector?: string;
        team?: string;
        allTeams?: boolean;
        output?: string;
        watch?: boolean;
        headers?: boolean;
        cluster?: string;
        namespace?: string;
        status?: string;
      },
      command: Command,
    ) =>
      run(command, async (env) =>
        /^hosts?$/i.test(kind)
          ? (await import('./commands/hosts.ts')).getHosts(env, names, {
              ...options,
              noHeaders: options.headers === false,
            })
          : (await import('./commands/get.ts')).get(env, kind, names, {
              ...options,
              noHeaders: options.headers === false,
            }),
      ),
  );

program
  .command('describe')
  .argument('<kind>', 'kind, plural or singular')
  .argument('<name>', 'resource name')
  .description('show a resource in detail: metadata, spec, status and conditions')
  .addOption(teamOption())
  .option('--cluster <name>', 'describe node: the cluster the node is in')
  .addHelpText(
    'after',
    '\nExamples:\n  gantry describe team platform\n  gantry describe node worker-1 --cluster hz-prod-01',
  )
  .action(
    async (kind: string, name: string, options: { team?: string; cluster?: string }, command: Command) =>
      run(command, async (env) =>
        /^hosts?$/i.test(kind)
          ? (await import('./commands/hosts.ts')).describeHost(env, name, options)
          : (await import('./commands/describe.ts')).describe(env, kind, name, options),
      ),
  );

program
  .command('delete')
  .argument('[kind]', 'kind, plural or singular')
  .argument('[names...]', 'resource names')
  .description('delete resources by name, by label selector, or from manifests')
  .addOption(filenameOption('delete'))
  .option('-l, --selector <selector>', 'delete everything matching this label selector')
  .addOption(teamOption())
  .option('--ignore-not-found', 'treat a missing resource as deleted')
  .option('--dry-run', 'validate on the server (dryRun=All) without deleting')
  .option('--cascade', 'deleting a team: delete everything it holds (resources and secrets) with it')
  .addHelpText(
    'after',
    '\nExamples:\n  gantry delete team platform\n  gantry delete team platform --cascade\n  gantry delete -f teams.yaml',
  )
  .action(
    async (
      kind: string | undefined,
      names: string[],
      options: {
        filename: string[];
        selector?: string;
        team?: string;
        ignoreNotFound?: boolean;
        dryRun?: boolean;
        cascade?: boolean;
      },
      command: Command,
    ) =>
      run(command, async (env) =>
        kind !== undefined && /^hosts?$/i.test(kind)
          ? (await import('./commands/hosts.ts')).deleteHosts(env, names, options)
          : (await import('./commands/delete.ts')).deleteResources(env, kind, names, options),
      ),
  );

program
  .command('diff')
  .description('show what apply would change (exit 0: none, 1: differences, >1: error)')
  .addOption(filenameOption('compare'))
  .addOption(teamOption())
  .action(async (options: { filename: string[]; team?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/diff.ts')).diff(env, options), 2),
  );

program
  .command('explain')
  .argument(
    '<type>',
    'a component type or trait (webservice, trait/scaler), optionally with a property path (webservice.ports)',
  )
  .description("show the properties a component type or trait takes, from its definition's schema")
  .option('--recursive', 'show nested properties too')
  .addHelpText(
    'after',
    '\nExamples:\n  gantry explain webservice\n  gantry explain trait/scaler\n  gantry explain webservice.ports --recursive',
  )
  .action(async (type: string, options: { recursive?: boolean }, command: Command) =>
    run(command, async (env) => (await import('./commands/explain.ts')).explain(env, type, options)),
  );

const rollout = program
  .command('rollout')
  .description("an application's revisions: history, status, rollback, and its rollout in waves");
rollout
  .command('history')
  .argument('<app>', 'application name')
  .description('list the recorded revisions (the applied one marked *)')
  .addOption(teamOption())
  .action(async (app: string, options: { team?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/rollout.ts')).history(env, app, options)),
  );
rollout
  .command('status')
  .argument('<app>', 'application name')
  .description('conditions, targets, and the components x clusters health matrix')
  .addOption(teamOption())
  .action(async (app: string, options: { team?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/rollout.ts')).status(env, app, options)),
  );
rollout
  .command('undo')
  .argument('<app>', 'application name')
  .description(
    'roll back the rollout in progress (its clusters return, the last wave first), or else return the application to a revision (default: the one before the applied one)',
  )
  .option('--to-revision <n>', 'the revision to return to')
  .option('--reason <text>', 'why (required to roll a rollout back; recorded with who)')
  .addOption(teamOption())
  .addHelpText(
    'after',
    '\nExamples:\n  gantry rollout undo checkout --reason "5xx on east"\n  gantry rollout undo checkout --to-revision 3\n  gantry rollout history checkout',
  )
  .action(
    async (app: string, options: { team?: string; toRevision?: string; reason?: string }, command: Command) =>
      run(command, async (env) => (await import('./commands/rollout.ts')).undo(env, app, options)),
  );
for (const [act, description] of [
  ['pause', "pause the application's rollout at its next step"],
  ['resume', "resume the application's paused rollout"],
  ['abort', "abort the application's rollout: clusters keep the revision they have"],
] as const)
  rollout
    .command(act)
    .argument('<app>', 'application name')
    .description(description)
    .addOption(teamOption())
    .requiredOption('--reason <text>', 'why (recorded with who)')
    .action(async (app: string, options: { team?: string; reason?: string }, command: Command) =>
      run(command, async (env) =>
        (await import('./commands/rollout.ts')).actOnRollout(env, app, act, options),
      ),
    );

program
  .command('agent')
  .description(
    'run the host agent: join with a join token once, then report facts and heartbeats (outbound only)',
  )
  .requiredOption('--server <url>', 'the Gantry server, e.g. https://gantry.example.com')
  .option('--join-token <token>', 'a join token from `gantry join-token create` (first start only)')
  .option(
    '--work-dir <dir>',
    'where the credential and undelivered reports are kept',
    '/var/lib/gantry-agent',
  )
  .option('--name <name>', "the host name in Gantry (default: this machine's hostname)")
  .option('--labels <k=v,...>', 'labels of this host')
  .option('--ca-file <pem>', 'trust this CA for the server instead of the system CAs')
  .option('--log-level <level>', 'debug, info, warn or error', 'info')
  .option(
    '--job-user <user>',
    'the user jobs run as when their template names none (default: nobody as root)',
  )
  .addHelpText(
    'after',
    '\nHTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured. Exits 3 when the server refuses the agent (revoked).\n\nExample:\n  gantry agent --server https://gantry.example.com --join-token jt0123456789abcdef.SECRET --labels rack=r1',
  )
  .action(
    async (
      options: {
        server: string;
        joinToken?: string;
        workDir?: string;
        name?: string;
        labels?: string;
        caFile?: string;
        logLevel?: string;
        jobUser?: string;
      },
      command: Command,
    ) =>
      run(command, async (env) => {
        process.exitCode = await (await import('./commands/agent.ts')).agent(env, options);
      }),
  );

const joinToken = program
  .command('join-token')
  .description("create, list and revoke join tokens for hosts' agents (team admins)");
joinToken
  .command('create')
  .description('create a join token and print it (it is shown this once)')
  .addOption(teamOption())
  .option('--ttl <duration>', 'how long it is good for, e.g. 1h, 7d (default 24h)')
  .option('--uses <n>', 'how many agents may join with it (default 1)')
  .option('--description <text>', 'what it is for')
  .option('--labels <k=v,...>', 'labels every host joining with it gets')
  .action(
    async (
      options: { team?: string; ttl?: string; uses?: string; description?: string; labels?: string },
      command: Command,
    ) =>
      run(command, async (env) => (await import('./commands/join-token.ts')).createJoinToken(env, options)),
  );
joinToken
  .command('list')
  .description("the team's join tokens and their state")
  .addOption(teamOption())
  .addOption(outputOption())
  .action(async (options: { team?: string; output?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/join-token.ts')).listJoinTokens(env, options)),
  );
joinToken
  .command('revoke')
  .argument('<id>', 'the join token id (the part before the dot)')
  .description('revoke a join token')
  .addOption(teamOption())
  .action(async (id: string, options: { team?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/join-token.ts')).revokeJoinToken(env, id, options)),
  );

const cluster = program.command('cluster').description('add clusters to the fleet, or remove them');
const clusterAdd = cluster
  .command('add')
  .argument('<name>', 'cluster name')
  .description("store a kubeconfig as the team's secret NAME-kubeconfig and create (or update) the Cluster")
  .requiredOption('--kubeconfig <file>', 'kubeconfig file to reach the cluster with')
  .option(
    '--context <context>',
    "kubeconfig context to use (default: the file's current context); a Gantry context goes before the command: gantry --context NAME cluster add ...",
  )
  .addOption(teamOption())
  .addOption(
    new Option('-l, --label <key=value>', 'label for the Cluster; repeatable').argParser(collect).default([]),
  )
  .option('--dry-run', 'check the Cluster on the server (dryRun=All); store neither it nor the secret')
  .addHelpText(
    'after',
    '\nExamples:\n  gantry cluster add hz-prod-01 --kubeconfig ~/.kube/hz-prod-01 -l region=cn-hangzhou -l env=prod\n  gantry cluster add lab --kubeconfig ~/.kube/config --context kind-lab --team sre',
  )
  .action(
    async (
      name: string,
      options: { kubeconfig: string; context?: string; team?: string; label: string[]; dryRun?: boolean },
      command: Command,
    ) =>
      run(command, async (env) =>
        (await import('./commands/cluster.ts')).addCluster(env, name, { ...options, labels: options.label }),
      ),
  );
kubeContextCommands.add(clusterAdd);
cluster
  .command('remove')
  .argument('<name>', 'cluster name')
  .description('delete the Cluster, then its kubeconfig secret NAME-kubeconfig')
  .addOption(teamOption())
  .action(async (name: string, options: { team?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/cluster.ts')).removeCluster(env, name, options)),
  );

for (const operation of ['cordon', 'uncordon'] as const) {
  program
    .command(operation)
    .argument('<node>', 'node name')
    .description(operation === 'cordon' ? 'mark a node unschedulable' : 'mark a node schedulable again')
    .requiredOption('--cluster <name>', 'the cluster the node is in')
    .addOption(teamOption())
    .option('--override-reason <text>', 'act despite a stopped line or a closed ChangeWindow (audited)')
    .action(
      async (
        node: string,
        options: { cluster: string; team?: string; overrideReason?: string },
        command: Command,
      ) =>
        run(command, async (env) =>
          (await import('./commands/node-operations.ts')).setSchedulable(env, operation, node, options),
        ),
    );
}

program
  .command('drain')
  .argument('<node>', 'node name')
  .description('cordon a node and evict its pods (PodDisruptionBudgets hold; DaemonSet pods stay)')
  .requiredOption('--cluster <name>', 'the cluster the node is in')
  .addOption(teamOption())
  .option('--timeout <duration>', 'give up after this long: 30s, 5m, 1h (1s to 1h)', '5m')
  .option('--force', 'also evict pods that no controller manages (they will not come back)')
  .option('--override-reason <text>', 'act despite a stopped line or a closed ChangeWindow (audited)')
  .addHelpText('after', '\nExamples:\n  gantry drain worker-1 --cluster hz-prod-01 --timeout 10m')
  .action(
    async (
      node: string,
      options: { cluster: string; team?: string; timeout?: string; force?: boolean; overrideReason?: string },
      command: Command,
    ) =>
      run(command, async (env) => (await import('./commands/node-operations.ts')).drain(env, node, options)),
  );

program
  .command('events')
  .description(
    "list Gantry's events and the clusters' Kubernetes events, oldest first (kubectl events style)",
  )
  .option('--cluster <name>', 'this cluster of the team (default: every cluster)')
  .option('-n, --namespace <namespace>', 'this Kubernetes namespace only')
  .addOption(teamOption())
  .option('-A, --all-teams', 'every cluster you can read (the default without --cluster or --team)')
  .option('--for <kind/name>', 'events about one object, e.g. pod/web-0, node/worker-1, app/shop')
  .option('--types <types>', 'Normal, Warning, or both comma-separated')
  .option('--type <type>', 'Normal or Warning (the same as --types with one type)')
  .option('--source <source>', "gantry (Gantry's own events) or kubernetes (the clusters')")
  .option('--limit <n>', 'only the newest N events')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']))
  .option('--no-headers', 'omit the table header')
  .addHelpText(
    'after',
    '\nExamples:\n  gantry events --cluster hz-prod-01 -n web\n  gantry events --for node/worker-1 --cluster hz-prod-01 --type Warning\n  gantry events --for app/shop --team payments\n  gantry events --for compdef/webservice --source gantry',
  )
  .action(async (options: Omit<EventsOptions, 'noHeaders'> & { headers?: boolean }, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/events.ts')).events(env, {
        ...options,
        noHeaders: options.headers === false,
      }),
    ),
  );

program
  .command('alerts')
  .description("list a team's alerts (firing by default), as Prometheus and the webhooks posted them")
  .addOption(teamOption())
  .option('-A, --all-teams', "every team's alerts (admins)")
  .option(
    '--filter <matchers>',
    'matchers as amtool writes them, e.g. \'alertname="Down",severity=~"page|critical"\'',
  )
  .addOption(new Option('--state <state>', 'firing, resolved or all').default('firing'))
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'wide', 'json', 'yaml']))
  .option('-w, --watch', 'after listing, print each alert again when it changes (polls)')
  .option('--interval <duration>', 'poll interval of --watch', '2s')
  .option('--no-headers', 'omit the table header')
  .addHelpText(
    'after',
    '\nExamples:\n  gantry alerts --team ops\n  gantry alerts --filter \'severity="page"\' -o wide\n  gantry alerts -A --state all -o json\n  gantry alerts --watch',
  )
  .action(async (options: Omit<AlertsOptions, 'noHeaders'> & { headers?: boolean }, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/alerts.ts')).alerts(env, {
        ...options,
        noHeaders: options.headers === false,
      }),
    ),
  );

const silence = program.command('silence').description("mute a team's alerts by matchers (Silence objects)");
silence
  .command('create')
  .description('silence the alerts that match, from now for --duration; prints the silence id')
  .argument('<matchers...>', 'amtool-style matchers: alertname=Down \'severity=~"page|critical"\'')
  .addOption(teamOption())
  .option('-d, --duration <duration>', 'how long the silence lasts', '1h')
  .option('-c, --comment <comment>', 'why', '')
  .option('-a, --author <name>', 'createdBy (default: your user name)')
  .action(async (matchers: string[], options: SilenceCreateOptions, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/silence.ts')).createSilence(env, matchers, options),
    ),
  );
silence
  .command('list')
  .description("the team's active and pending silences")
  .addOption(teamOption())
  .option('--expired', 'the expired silences instead')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']))
  .option('--no-headers', 'omit the table header')
  .action(async (options: Omit<SilenceListOptions, 'noHeaders'> & { headers?: boolean }, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/silence.ts')).listSilences(env, {
        ...options,
        noHeaders: options.headers === false,
      }),
    ),
  );
silence
  .command('expire')
  .description('end silences now')
  .argument('<ids...>', 'silence ids (gantry silence list)')
  .addOption(teamOption())
  .action(async (ids: string[], options: { team?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/silence.ts')).expireSilences(env, ids, options)),
  );

program
  .command('notifications')
  .description("list a team's notifications (the delivery log), newest first")
  .addOption(teamOption())
  .option('--channel <name>', 'only this NotificationChannel')
  .option('--state <state>', 'pending, sending, delivered, failed or superseded')
  .option('--group-key <key>', 'only this alert group')
  .option('--limit <n>', 'at most N notifications (default 100)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']))
  .option('--no-headers', 'omit the table header')
  .addHelpText('after', '\nExamples:\n  gantry notifications --team ops --channel oncall --state failed')
  .action(
    async (
      options: {
        team?: string;
        channel?: string;
        state?: string;
        groupKey?: string;
        limit?: string;
        output?: string;
        headers?: boolean;
      },
      command: Command,
    ) =>
      run(command, async (env) =>
        (await import('./commands/notifications.ts')).notifications(env, {
          ...options,
          noHeaders: options.headers === false,
        }),
      ),
  );

program
  .command('run')
  .description("run a JobTemplate on hosts or a cluster; the template's parameters are flags (--NAME VALUE)")
  .argument('[template]', 'a JobTemplate of the team')
  .addOption(teamOption())
  .option('--hosts <names>', 'these hosts, comma-separated')
  .option('--selector <selector>', 'the hosts matching this label selector, e.g. role=db,zone in (a,b)')
  .option('--cluster <name>', "this cluster, as a Kubernetes Job (the template's spec.cluster)")
  .option('--concurrency <n>', 'targets running at once (default 50)')
  .option('--batch-size <n>', 'targets per batch; a batch starts when the previous one has ended')
  .option('--stop-after-failures <n>', 'stop dispatching after N failed targets')
  .option('--script-file <path>', 'an ad-hoc script instead of a template (team-admins; recorded in full)')
  .option('--interpreter <name>', 'for --script-file: sh, bash or python3 (default sh)')
  .option('--timeout <seconds>', 'for --script-file: its timeout (default 300)')
  .option('-f, --follow', 'follow the output; exit 1 unless every target succeeded')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml', 'name']))
  .allowUnknownOption()
  .allowExcessArguments()
  .addHelpText(
    'after',
    '\nExamples:\n  gantry run rotate-logs --selector role=web --max-age-days 7 --batch-size 10 -f\n  gantry run restart-service --hosts db-1,db-2 --service postgresql --stop-after-failures 1\n  gantry run --script-file ./probe.sh --hosts web-1 --team payments',
  )
  .action(async (template: string | undefined, options: RunOptions, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/jobs.ts')).runJob(
        env,
        template,
        command.args.slice(template === undefined ? 0 : 1),
        options,
      ),
    ),
  );

// Exceptions and failures (ADR 0018): `gantry exceptions` lists the team's active ones.
type ListFlags = Omit<ExceptionListOptions, 'noHeaders'> & { headers?: boolean };
const listFlags = (command: Command): Command =>
  command
    .addOption(teamOption())
    .option(
      '--state <state>',
      'open, acknowledged, mitigated, resolved, merged, active or all (comma-separated)',
    )
    .option('--severity <severity>', 'critical, major, minor or warning')
    .option('--level <levels>', 'failure levels, e.g. P1 or P0,P1')
    .option(
      '--entity <Kind/name>',
      'only those concerning this entity, e.g. Node/w-3 or Application/checkout',
    )
    .option('--assignee <user>', 'only those assigned to this user')
    .option('--limit <n>', 'at most N')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'wide', 'json', 'yaml']),
    )
    .option('--no-headers', 'omit the table header');
const exceptionsCommand = listFlags(
  program
    .command('exceptions')
    .description(
      "a team's exceptions (active by default): list, get, ack, assign, comment, resolve, reopen, merge",
    ),
).action(async (options: ListFlags, command: Command) =>
  run(command, async (env) =>
    (await import('./commands/exceptions.ts')).listExceptions(env, {
      ...options,
      noHeaders: options.headers === false,
    }),
  ),
);
listFlags(exceptionsCommand.command('list').description("the team's exceptions, newest first")).action(
  async (options: ListFlags, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/exceptions.ts')).listExceptions(env, {
        ...options,
        noHeaders: options.headers === false,
      }),
    ),
);
exceptionsCommand
  .command('get')
  .description('an exception and its timeline, with the events on what it concerns')
  .argument('<id>', 'the exception')
  .addOption(teamOption())
  .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml']))
  .action(async (id: string, options: { team?: string; output?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/exceptions.ts')).getException(env, id, options)),
  );
for (const [name, action, description] of [
  ['ack', 'acknowledge', 'acknowledge an open exception (stops its escalation)'],
  ['mitigate', 'mitigate', 'mark an exception mitigated'],
  ['resolve', 'resolve', 'resolve an exception'],
  ['reopen', 'reopen', 'reopen a resolved exception'],
] as const)
  exceptionsCommand
    .command(name)
    .description(description)
    .argument('<id>', 'the exception')
    .addOption(teamOption())
    .option('--reason <text>', 'why, for the timeline')
    .action(async (id: string, options: { team?: string; reason?: string }, command: Command) =>
      run(command, async (env) =>
        (await import('./commands/exceptions.ts')).actOnException(
          env,
          action as ExceptionAction,
          id,
          options,
        ),
      ),
    );
exceptionsCommand
  .command('assign')
  .description('assign an exception to a user (`-` unassigns)')
  .argument('<id>', 'the exception')
  .argument('<user>', 'a user name, or - to unassign')
  .addOption(teamOption())
  .option('--reason <text>', 'why, for the timeline')
  .action(async (id: string, user: string, options: { team?: string; reason?: string }, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/exceptions.ts')).assignException(env, id, user, options),
    ),
  );
exceptionsCommand
  .command('comment')
  .description("add a comment to an exception's timeline")
  .argument('<id>', 'the exception')
  .argument('<message...>', 'the comment')
  .addOption(teamOption())
  .action(async (id: string, message: string[], options: { team?: string }, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/exceptions.ts')).commentException(env, id, message.join(' '), options),
    ),
  );
exceptionsCommand
  .command('merge')
  .description('merge exception FROM into INTO: its alerts and timeline move there')
  .argument('<into>', 'the exception that carries on')
  .argument('<from>', 'the exception merged into it')
  .addOption(teamOption())
  .option('--reason <text>', 'why, for the timeline')
  .action(async (into: string, from: string, options: { team?: string; reason?: string }, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/exceptions.ts')).mergeExceptions(env, into, from, options),
    ),
  );
listFlags(
  program
    .command('failures')
    .description("a team's failures: exceptions that lasted past their HealthPolicy's thresholds (P4…P0)"),
)
  .addHelpText(
    'after',
    '\nExamples:\n  gantry failures --level P1,P0\n  gantry failures --state active -o wide',
  )
  .action(async (options: ListFlags, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/exceptions.ts')).listExceptions(
        env,
        { ...options, noHeaders: options.headers === false },
        'failures',
      ),
    ),
  );

// Failure statistics (ADR 0023): MTTD, MTTA, MTTR, MTBF, counts and availability over a range.
program
  .command('stats')
  .description('failure statistics of the team (or every team you may read) over a range, grouped --by')
  .addOption(teamOption())
  .option('--all-teams', 'every team you may read, together')
  .option('--since <duration>', 'the range ends now (or at --to) and began this long before (default 30d)')
  .option('--from <time>', 'start of the range, RFC 3339')
  .option('--to <time>', 'end of the range, RFC 3339 (default now)')
  .addOption(new Option('--by <dimension>', 'group by').choices(['team', 'application', 'cluster', 'class']))
  .option('--metrics <list>', 'count, mttd, mtta, mttr, mtbf, availability (comma-separated; default all)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']))
  .option('--no-headers', 'omit the table header')
  .addHelpText(
    'after',
    '\nExamples:\n  gantry stats --since 90d --by application\n  gantry stats --all-teams --metrics mttr -o json',
  )
  .action(async (options: Omit<StatsOptions, 'noHeaders'> & { headers?: boolean }, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/stats.ts')).showStats(env, {
        ...options,
        noHeaders: options.headers === false,
      }),
    ),
  );

const jobs = program.command('jobs').description('job runs: list, get, logs, cancel, rerun');
jobs
  .command('list')
  .alias('runs')
  .description('job runs of the team, newest first')
  .addOption(teamOption())
  .option('-A, --all-teams', 'every team you can read')
  .option('--template <name>', 'runs of this template')
  .option('--state <state>', 'Running, Succeeded, Failed or Cancelled')
  .option('--host <name>', 'runs that had this host among their targets')
  .option('--limit <n>', 'at most N runs (default 50)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']))
  .option('--no-headers', 'omit the table header')
  .action(async (options: Omit<ListJobsOptions, 'noHeaders'> & { headers?: boolean }, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/jobs.ts')).listJobs(env, {
        ...options,
        noHeaders: options.headers === false,
      }),
    ),
  );
jobs
  .command('get')
  .description('a job run and its targets')
  .argument('<id>', 'the run')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml']))
  .action(async (id: string, options: { output?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/jobs.ts')).getJob(env, id, options)),
  );
jobs
  .command('logs')
  .description("a job run's output, each line prefixed by its target when there are several")
  .argument('<id>', 'the run')
  .option('-f, --follow', 'keep following until the run ends')
  .option('--target <name>', 'one target only')
  .action(async (id: string, options: { follow?: boolean; target?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/jobs.ts')).jobLogs(env, id, options)),
  );
jobs
  .command('cancel')
  .description('cancel a run: queued targets never start, running ones are stopped')
  .argument('<id>', 'the run')
  .action(async (id: string, _options: unknown, command: Command) =>
    run(command, async (env) => (await import('./commands/jobs.ts')).cancelJob(env, id)),
  );
jobs
  .command('rerun')
  .description('run the failed, timed-out and lost targets of a run again, as a new run linked to it')
  .argument('<id>', 'the run')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml', 'name']))
  .action(async (id: string, options: { output?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/jobs.ts')).rerunJob(env, id, options)),
  );

program
  .command('risks')
  .description(
    "list a team's risks (open by default), highest score first, as inspections and baselines found them",
  )
  .addOption(teamOption())
  .addOption(new Option('--state <state>', 'open, gone or all').default('open'))
  .option('--source <source>', 'Inspection, Inspection/<name> or Inspection/<name>/<check> (or Baseline)')
  .option('--entity <kind/name>', 'risks concerning this object, e.g. Node/worker-1 or Cluster/prod')
  .option('--min-score <n>', 'risks scored at least n (0-100)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'wide', 'json', 'yaml']))
  .option('--no-headers', 'omit the table header')
  .addHelpText(
    'after',
    '\nExamples:\n  gantry risks --team ops\n  gantry risks --entity Node/worker-1 --state all\n  gantry risks --source Inspection/workload-resilience --min-score 40 -o wide',
  )
  .action(async (options: Omit<RisksOptions, 'noHeaders'> & { headers?: boolean }, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/risks.ts')).risks(env, { ...options, noHeaders: options.headers === false }),
    ),
  );
const inspections = program
  .command('inspections')
  .description('Inspection runs: history, run now, one run, run-to-run diff, built-in templates');
inspections
  .command('runs')
  .description("an Inspection's runs, newest first")
  .argument('<name>', 'the Inspection')
  .addOption(teamOption())
  .option('--limit <n>', 'at most N runs (default 20)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']))
  .option('--no-headers', 'omit the table header')
  .action(
    async (
      name: string,
      options: Omit<InspectionRunsOptions, 'noHeaders'> & { headers?: boolean },
      command: Command,
    ) =>
      run(command, async (env) =>
        (await import('./commands/risks.ts')).inspectionRuns(env, name, {
          ...options,
          noHeaders: options.headers === false,
        }),
      ),
  );
inspections
  .command('run')
  .description("run an Inspection now and print each check's outcome")
  .argument('<name>', 'the Inspection')
  .addOption(teamOption())
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']))
  .action(async (name: string, options: { team?: string; output?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/risks.ts')).runInspection(env, name, options)),
  );
inspections
  .command('get')
  .description("one run with every check's outcome")
  .argument('<run>', 'the run id')
  .addOption(teamOption())
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']))
  .action(async (id: string, options: { team?: string; output?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/risks.ts')).getInspectionRun(env, id, options)),
  );
inspections
  .command('diff')
  .description('risks new (+), gone (-) and changed in score (~) since another run (default: the one before)')
  .argument('<run>', 'the newer run')
  .option('--against <run>', 'the run to compare with')
  .addOption(teamOption())
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']))
  .action(
    async (id: string, options: { team?: string; against?: string; output?: string }, command: Command) =>
      run(command, async (env) => (await import('./commands/risks.ts')).diffInspectionRuns(env, id, options)),
  );
inspections
  .command('templates')
  .description('the built-in inspections; with a name, its manifest (pipe it to `gantry apply -f -`)')
  .argument('[name]', 'a template')
  .action(async (name: string | undefined, _options: unknown, command: Command) =>
    run(command, async (env) => (await import('./commands/risks.ts')).inspectionTemplates(env, name)),
  );

program
  .command('api-resources')
  .description('list the resource kinds the server serves')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'name']))
  .option('--no-headers', 'omit the table header')
  .action(async (options: { output?: string; headers?: boolean }, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/api-resources.ts')).apiResources(env, {
        ...options,
        noHeaders: options.headers === false,
      }),
    ),
  );

program
  .command('version')
  .description("print the client's and the server's versions")
  .option('--client', 'client version only (no server needed)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml']))
  .action(async (options: { client?: boolean; output?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/version.ts')).version(env, options)),
  );

// Changes (ADR 0026): the Change kind is also served by get/apply/delete; these read and act on one.
const changeCommand = program
  .command('change')
  .description(
    'changes in batches: get, describe, pause, resume, abort, approve, reject, rollback; stop-the-line',
  );
changeCommand
  .command('get')
  .description("the team's changes (or one) with phase, batch and what holds them")
  .argument('[name]', 'one change')
  .addOption(teamOption())
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml', 'name']))
  .option('--no-headers', 'print rows only')
  .action(
    async (
      name: string | undefined,
      options: { team?: string; output?: string; headers?: boolean },
      command: Command,
    ) =>
      run(command, async (env) =>
        (await import('./commands/change.ts')).getChanges(env, name, {
          ...options,
          noHeaders: options.headers === false,
        }),
      ),
  );
changeCommand
  .command('describe')
  .description('a change: its batches as a timeline, and the last steps of its journal')
  .argument('<name>', 'the change')
  .addOption(teamOption())
  .option('--steps <n>', 'journal steps to show (default 20)')
  .action(async (name: string, options: { team?: string; steps?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/change.ts')).describeChange(env, name, options)),
  );
for (const [act, description] of [
  ['pause', 'pause a change at its next step'],
  ['resume', 'resume a paused change (failed entities are tried again)'],
  ['abort', 'abort a change: nothing more is changed'],
  ['approve', 'approve the batch that waits for an approval (recorded with who and why)'],
  ['reject', 'reject the batch that waits for an approval: the failure policy acts'],
  ['rollback', 'roll a change back: the batches done so far undone, the last first, each observed again'],
] as const)
  changeCommand
    .command(act)
    .description(description)
    .argument('<name>', 'the change')
    .addOption(teamOption())
    .requiredOption('--reason <text>', 'why (recorded with who)')
    .action(async (name: string, options: { team?: string; reason?: string }, command: Command) =>
      run(command, async (env) =>
        (await import('./commands/change.ts')).actOnChange(env, name, act, options),
      ),
    );
for (const [name, release, description] of [
  [
    'stop-the-line',
    false,
    'halt every change of the team (or, with --fleet, of every team) at its next step',
  ],
  ['release-the-line', true, 'let the changes go on from where they were'],
] as const)
  changeCommand
    .command(name)
    .description(description)
    .addOption(teamOption())
    .option('--fleet', 'the whole fleet (administrators)')
    .requiredOption('--reason <text>', 'why (recorded with who)')
    .action(async (options: { team?: string; reason?: string; fleet?: boolean }, command: Command) =>
      run(command, async (env) => (await import('./commands/change.ts')).lineSwitch(env, release, options)),
    );
changeCommand
  .command('line')
  .description("the newest stops of the team's line and of the fleet's")
  .addOption(teamOption())
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']))
  .action(async (options: { team?: string; output?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/change.ts')).listLineStops(env, options)),
  );

// Self-healing (ADR 0032, 0037): healing runs, approvals, the dry run, statistics and the shadow scorecard.
const heal = program
  .command('heal')
  .description('self-healing: runs, get, approve, reject, dry-run, stats, scorecard');
heal
  .command('runs')
  .description("the team's healing runs, newest first")
  .addOption(teamOption())
  .option('--policy <name>', 'runs of this HealingPolicy')
  .addOption(new Option('--state <state>', 'live or ended runs').choices(['active', 'ended', 'all']))
  .option('--phase <phase>', 'e.g. AwaitingApproval, Healed, Escalated, Shadowed')
  .option('--entity <entity>', 'e.g. Node/east/n1')
  .option('--since <when>', 'created since: a duration back from now (2h, 7d) or an RFC 3339 time')
  .option('--until <when>', 'created before: a duration back from now or an RFC 3339 time')
  .option('--limit <n>', 'at most N runs (default 50)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml', 'name']))
  .option('--no-headers', 'omit the table header')
  .addHelpText(
    'after',
    '\nExamples:\n  gantry heal runs --phase AwaitingApproval\n  gantry heal runs --since 1d --policy node-not-ready',
  )
  .action(async (options: Omit<HealRunsOptions, 'noHeaders'> & { headers?: boolean }, command: Command) =>
    run(command, async (env) =>
      (await import('./commands/heal.ts')).listRuns(env, {
        ...options,
        noHeaders: options.headers === false,
      }),
    ),
  );
heal
  .command('get')
  .description(
    'a healing run: trigger, the diagnosis path with the values seen, approvals, actions, verifications',
  )
  .argument('<id>', 'the run')
  .addOption(teamOption())
  .addOption(new Option('-o, --output <format>', 'output format').choices(['describe', 'json', 'yaml']))
  .action(async (id: string, options: { team?: string; output?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/heal.ts')).getRun(env, id, options)),
  );
for (const [verb, description] of [
  ['approve', 'approve the risky action a run waits for (recorded with who and why)'],
  ['reject', 'reject the action a run waits for: the run ends and a person takes over'],
] as const)
  heal
    .command(verb)
    .description(description)
    .argument('<id>', 'the run')
    .addOption(teamOption())
    .requiredOption('--reason <text>', 'why (recorded with who)')
    .action(async (id: string, options: { team?: string; reason?: string }, command: Command) =>
      run(command, async (env) => (await import('./commands/heal.ts')).decideRun(env, id, verb, options)),
    );
heal
  .command('dry-run')
  .description(
    'which policy matches a trigger, the path through its tree with live evidence, the action it would take',
  )
  .addOption(teamOption())
  .option('--policy <name>', 'a stored HealingPolicy (default: every policy of the team)')
  .option('-f, --file <path...>', 'an unsaved HealingPolicy manifest, and optionally its DiagnosisTree')
  .option('--exception <id>', 'try it on this exception')
  .option('--alert <fingerprint>', 'try it on this alert')
  .option('--risk <id>', 'try it on this risk')
  .option('--title <text>', 'an inline exception: its title (with --entity)')
  .option('--entity <entity...>', "the inline exception's entities: Node/<cluster>/<name>, Host/<name>, ...")
  .addOption(new Option('-o, --output <format>', 'output format').choices(['describe', 'json', 'yaml']))
  .addHelpText(
    'after',
    '\nExamples:\n  gantry heal dry-run --exception 4f2c...\n  gantry heal dry-run -f policy.yaml -f tree.yaml --title "NodeNotReady" --entity Node/east/n1',
  )
  .action(async (options: DryRunOptions, command: Command) =>
    run(command, async (env) => (await import('./commands/heal.ts')).dryRun(env, options)),
  );
heal
  .command('stats')
  .description('runs by outcome and root cause, share healed without a person, recovery p50/p90, escalations')
  .addOption(teamOption())
  .option('--since <when>', 'window start: a duration back from now (default 7d) or an RFC 3339 time')
  .option('--policy <name>', 'one policy only')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['describe', 'json', 'yaml']))
  .action(
    async (options: { team?: string; since?: string; policy?: string; output?: string }, command: Command) =>
      run(command, async (env) => (await import('./commands/heal.ts')).showStats(env, options)),
  );
heal
  .command('scorecard')
  .description('each shadow-mode policy: what it would have run, and what became of the triggers')
  .addOption(teamOption())
  .option('--since <when>', 'window start: a duration back from now (default 7d) or an RFC 3339 time')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']))
  .option('--no-headers', 'omit the table header')
  .action(
    async (
      options: { team?: string; since?: string; output?: string; headers?: boolean },
      command: Command,
    ) =>
      run(command, async (env) =>
        (await import('./commands/heal.ts')).showScorecard(env, {
          ...options,
          noHeaders: options.headers === false,
        }),
      ),
  );

program
  .command('server')
  .description('run the Gantry server (API, console and controllers); --help lists every setting')
  .helpOption(false)
  .allowUnknownOption()
  .argument('[flags...]', 'server flags, e.g. --port 7420 --data-dir ./.gantry')
  .action(async (flags: string[]) => {
    serving = true;
    const { runServer } = await import('@gantry/server');
    await runServer(flags);
  });

/** `gantry server` keeps running after its action returns; every other command is done when it returns. */
let serving = false;

acceptContextEverywhere(program);
await program.parseAsync(process.argv);
// fetch keeps its idle keep-alive connection to the server open for a while after the last answer, which
// holds the process ~100 ms past the end of the command's work: leave once the output is written (pipes
// are asynchronous on macOS).
if (!serving) {
  const written = (stream: NodeJS.WriteStream) =>
    stream.writableLength === 0 ? undefined : new Promise((resolve) => stream.once('drain', resolve));
  await Promise.all([written(process.stdout), written(process.stderr)]);
  process.exit();
}
