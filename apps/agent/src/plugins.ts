import type { Agent } from './agent.ts';

/** Something that registers channel handlers on the agent before it connects (the jobs runner, ...). */
export type AgentPlugin = (agent: Pick<Agent, 'registerChannel' | 'report'>) => void;

/** The plugins every `gantry agent` starts with; a domain adds its own here. */
export const agentPlugins: AgentPlugin[] = [];
