import type { CommandEnv } from '../io.ts';

export interface AgentCommandOptions {
  server: string;
  joinToken?: string;
  workDir?: string;
  name?: string;
  labels?: string;
  caFile?: string;
  logLevel?: string;
  jobUser?: string;
}

/** `gantry agent`: the host agent in the foreground, logging JSON lines to stderr. */
export async function agent(env: CommandEnv, options: AgentCommandOptions): Promise<number> {
  const { runAgent } = await import('@gantry/agent');
  const level = options.logLevel;
  return runAgent(
    {
      server: options.server,
      ...(options.joinToken ? { joinToken: options.joinToken } : {}),
      ...(options.workDir ? { workDir: options.workDir } : {}),
      ...(options.name ? { name: options.name } : {}),
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.caFile ? { caFile: options.caFile } : {}),
      ...(options.jobUser ? { jobUser: options.jobUser } : {}),
      ...(level === 'debug' || level === 'info' || level === 'warn' || level === 'error'
        ? { logLevel: level }
        : {}),
    },
    env.io.err,
  );
}
