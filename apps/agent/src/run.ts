import { hostname } from 'node:os';
import { Agent, AgentRefusedError, type LogLevel } from './agent.ts';
import { agentPlugins } from './plugins.ts';

export const AGENT_VERSION = '0.1.0';

export interface RunAgentOptions {
  server: string;
  joinToken?: string;
  workDir?: string;
  name?: string;
  /** `k=v,k2=v2`. */
  labels?: string;
  caFile?: string;
  logLevel?: LogLevel;
  /** The user jobs run as when a template names none. */
  jobUser?: string;
}

export function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`invalid label "${pair}": use key=value`);
    labels[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return labels;
}

const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** `gantry agent`: runs until SIGTERM/SIGINT (exit 0) or the server refuses it (exit 3). */
export async function runAgent(options: RunAgentOptions, write: (line: string) => void): Promise<number> {
  const threshold = LEVELS[options.logLevel ?? 'info'];
  const agent = new Agent({
    server: options.server,
    ...(options.joinToken ? { joinToken: options.joinToken } : {}),
    workDir: options.workDir ?? '/var/lib/gantry-agent',
    name: (options.name ?? hostname()).toLowerCase(),
    labels: parseLabels(options.labels),
    ...(options.caFile ? { caFile: options.caFile } : {}),
    version: AGENT_VERSION,
    logger: (level, message, fields) => {
      if (LEVELS[level] >= threshold)
        write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`);
    },
  });
  const workDir = options.workDir ?? '/var/lib/gantry-agent';
  const plugins = agentPlugins.map((plugin) =>
    plugin(agent, { workDir, ...(options.jobUser ? { jobUser: options.jobUser } : {}) }),
  );
  const stop = () => void agent.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await agent.start();
    await agent.finished();
    return 0;
  } catch (error) {
    write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: error instanceof Error ? error.message : String(error) })}\n`,
    );
    return error instanceof AgentRefusedError ? 3 : 1;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    for (const plugin of plugins) await plugin?.stop?.();
  }
}
