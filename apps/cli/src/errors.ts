/** A failure the user has to act on; main prints `error: <message>` and exits with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.exitCode = options.exitCode ?? 1;
  }
}

/**
 * Thrown by a command that has already printed its own errors (apply, delete -f keep going after a bad
 * document and report every failure), so main only sets the exit code.
 */
export class ReportedFailure extends Error {
  override readonly name = 'ReportedFailure';
  readonly exitCode: number;

  constructor(count: number, exitCode = 1) {
    super(`${count} error(s)`);
    this.exitCode = exitCode;
  }
}
