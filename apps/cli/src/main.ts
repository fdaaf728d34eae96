import { Command, Option } from 'commander';
import { configPath } from './config.ts';
import { CliError, ReportedFailure } from './errors.ts';
import type { CommandEnv, Io } from './io.ts';
import { printError } from './report.ts';

// Wiring only: each command's module is imported when that command runs, which keeps start-up fast.

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
  const globals = command.optsWithGlobals<{ context?: string }>();
  const env: CommandEnv = { io, configPath: configPath(process.env), contextName: globals.context };
  try {
    await task(env);
  } catch (error) {
    if (error instanceof ReportedFailure) {
      process.exitCode = error.exitCode;
      return;
    }
    printError(io.err, error);
    if (!(error instanceof CliError) && error instanceof Error && process.env['GANTRY_DEBUG'])
      io.err(`${error.stack ?? ''}\n`);
    process.exitCode = errorExitCode ?? (error instanceof CliError ? error.exitCode : 1);
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
  .addHelpText(
    'after',
    '\nExamples:\n  gantry apply -f teams.yaml\n  gantry apply -f deploy/ --dry-run\n  cat team.json | gantry apply -f -',
  )
  .action(async (options: { filename: string[]; team?: string; dryRun?: boolean }, command: Command) =>
    run(command, async (env) => (await import('./commands/apply.ts')).apply(env, options)),
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
  .addHelpText(
    'after',
    '\nExamples:\n  gantry get teams\n  gantry get team platform -o yaml\n  gantry get teams -l tier=core -w',
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
      },
      command: Command,
    ) =>
      run(command, async (env) =>
        (await import('./commands/get.ts')).get(env, kind, names, {
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
  .action(async (kind: string, name: string, options: { team?: string }, command: Command) =>
    run(command, async (env) => (await import('./commands/describe.ts')).describe(env, kind, name, options)),
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
  .addHelpText('after', '\nExamples:\n  gantry delete team platform\n  gantry delete -f teams.yaml')
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
      },
      command: Command,
    ) =>
      run(command, async (env) =>
        (await import('./commands/delete.ts')).deleteResources(env, kind, names, options),
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

program
  .command('server')
  .description('run the Gantry server (API, console and controllers); --help lists every setting')
  .helpOption(false)
  .allowUnknownOption()
  .argument('[flags...]', 'server flags, e.g. --port 7420 --data-dir ./.gantry')
  .action(async (flags: string[]) => {
    const { runServer } = await import('@gantry/server');
    await runServer(flags);
  });

await program.parseAsync(process.argv);
