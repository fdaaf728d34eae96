// `gantry server` with a V8 heap cap (GANTRY_MAX_HEAP_MB, ADR 0025). Node takes `--max-old-space-size`
// only when it starts (v8.setFlagsFromString does not move the limit of a running heap), so the bin starts
// Node once more with it, passes signals on and leaves with the child's exit code or signal. Nothing is
// done for other commands, without the setting, or when the flag was given already.
/** The arguments of the capped Node, or undefined when the process may run the server itself. */
export function heapCapArgs(argv, env, execArgv) {
  const command = argv.slice(2).find((arg) => !arg.startsWith('-'));
  const value = env.GANTRY_MAX_HEAP_MB ?? '';
  if (command !== 'server' || value === '' || value === '0') return undefined;
  if (!/^[1-9][0-9]*$/.test(value))
    throw new Error(`GANTRY_MAX_HEAP_MB must be a whole number of MB (0 for no cap), not "${value}"`);
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) =>
    /^--max[-_]old[-_]space[-_]size/.test(arg),
  );
  return given ? undefined : [...execArgv, `--max-old-space-size=${value}`, ...argv.slice(1)];
}

/** Runs Node with `args` in this process's place: its stdio, its signals, its exit. */
export async function runInstead(args) {
  // Loaded here: every other call of the bin would pay for it.
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, args, { stdio: 'inherit' });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  const forward = (signal) => child.kill(signal);
  for (const signal of signals) process.on(signal, forward);
  return new Promise(() => {
    child.on('exit', (code, signal) => {
      for (const name of signals) process.off(name, forward);
      if (signal !== null) process.kill(process.pid, signal);
      else process.exit(code ?? 1);
    });
  });
}
