import type { AgentJobHandler } from '@gantry/jobs/agent';
import { JOBS_CHANNEL } from '@gantry/model/agent-wire';
import type { Agent } from './agent.ts';

/** What a plugin knows of the agent it runs in. */
export interface AgentPluginContext {
  workDir: string;
  /** The user jobs run as when a template names none (`--job-user`). */
  jobUser?: string;
}

/** What a plugin started; `stop` runs when the agent stops (after its connection closed). */
export interface AgentPluginInstance {
  stop?(): Promise<void>;
}

/** Something that registers channel handlers on the agent before it connects (the jobs runner, ...). */
export type AgentPlugin = (
  agent: Pick<Agent, 'registerChannel' | 'report'>,
  context: AgentPluginContext,
) => AgentPluginInstance | void;

/**
 * Jobs (ADR 0017): run the server's job commands on this host and report their output and results. The
 * job runner (and the schema validation it brings) is loaded with the first job, so an idle agent stays
 * small.
 */
const jobsPlugin: AgentPlugin = (agent, context) => {
  let jobs: Promise<AgentJobHandler> | undefined;
  const load = () =>
    (jobs ??= import('@gantry/jobs/agent').then(({ createAgentJobHandler }) =>
      createAgentJobHandler({
        report: (channel, body) => void agent.report(channel, body),
        workDir: context.workDir,
        ...(context.jobUser ? { jobUser: context.jobUser } : {}),
      }),
    ));
  agent.registerChannel(JOBS_CHANNEL, async (body) => (await load()).handle(body));
  return { stop: async () => (jobs ? (await jobs).stop() : undefined) };
};

/** The plugins every `gantry agent` starts with; a domain adds its own here. */
export const agentPlugins: AgentPlugin[] = [jobsPlugin];
