export { Agent, AgentRefusedError, type AgentLogger, type AgentOptions, type LogLevel } from './agent.ts';
export { agentPlugins, type AgentPlugin } from './plugins.ts';
export { runAgent, parseLabels, AGENT_VERSION, type RunAgentOptions } from './run.ts';
export { fullJitterDelay } from './backoff.ts';
export { proxyFor } from './network.ts';
export { collectFacts } from './facts.ts';
