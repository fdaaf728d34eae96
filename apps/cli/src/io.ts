/** The process's streams, injected so commands never reach for globals. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** All of stdin as text (for `--password-stdin` and `-f -`). */
  readStdin(): Promise<string>;
  now(): Date;
}

/** Everything resolved from the command line before a command runs. */
export interface CommandEnv {
  io: Io;
  configPath: string;
  /** `--context NAME`: use this context instead of the current one. */
  contextName: string | undefined;
}
