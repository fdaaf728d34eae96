/** Why a test bed step failed, with the cluster and the log to read when a process is at fault. */
export class TestbedError extends Error {
  override readonly name = 'TestbedError';

  constructor(
    message: string,
    readonly details: { readonly step: string; readonly cluster?: string; readonly logFile?: string } = {
      step: 'testbed',
    },
  ) {
    super(details.logFile ? `${message} (log: ${details.logFile})` : message);
  }
}
