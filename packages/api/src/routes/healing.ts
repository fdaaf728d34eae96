import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  HealingApprovalRequest,
  HealingBuiltinTreeList,
  HealingDryRunRequest,
  HealingDryRunResult,
  HealingRun,
  HealingRunList,
  HealingRunParams,
  HealingRunsQuery,
  HealingScorecardList,
  HealingStats,
  HealingWindowQuery,
  NAME_PATTERN,
} from '@gantry/model';
import type { HealingApi } from '@gantry/healing';
import { errorResponses } from '../responses.ts';

const TeamParams = Type.Object({ team: Type.String({ pattern: NAME_PATTERN, maxLength: 63 }) });

/**
 * Self-healing's records (ADR 0032, 0037): healing runs with their diagnosis path, evidence, actions and
 * verifications; approve or reject a run waiting for a person (who and why, audited); the shadow-mode
 * scorecard; statistics over a window; and the dry run of a policy against a trigger.
 */
export function healingRoutes(fastify: FastifyInstance, healing: HealingApi): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['healing'];

  app.get(
    '/api/teams/:team/healing/runs',
    {
      schema: {
        tags,
        summary: "A team's healing runs, newest first, filtered by policy, state, phase, entity and time",
        params: TeamParams,
        querystring: HealingRunsQuery,
        response: { 200: HealingRunList },
      },
    },
    (request) => healing.list(request.caller, request.params.team, request.query),
  );
  app.get(
    '/api/teams/:team/healing/runs/:id',
    {
      schema: {
        tags,
        summary:
          'One healing run: trigger, diagnosis path and evidence values, decisions, actions, verifications',
        params: HealingRunParams,
        response: { 200: HealingRun },
      },
    },
    (request) => healing.get(request.caller, request.params.team, request.params.id),
  );
  for (const [verb, decision] of [
    ['approve', 'approved'],
    ['reject', 'rejected'],
  ] as const)
    app.post(
      `/api/teams/:team/healing/runs/:id/${verb}`,
      {
        schema: {
          tags,
          summary:
            verb === 'approve'
              ? 'Approve the risky action a run waits for, with why (recorded with who, audited)'
              : 'Reject the action a run waits for, with why: the run ends Rejected and escalates',
          params: HealingRunParams,
          body: HealingApprovalRequest,
          response: { 200: HealingRun, ...errorResponses(409) },
        },
      },
      (request) =>
        healing.decide(request.caller, request.params.team, request.params.id, decision, request.body.reason),
    );
  app.get(
    '/api/teams/:team/healing/scorecard',
    {
      schema: {
        tags,
        summary:
          'The shadow-mode scorecard per policy: what it would have done, and what became of the triggers',
        params: TeamParams,
        querystring: HealingWindowQuery,
        response: { 200: HealingScorecardList },
      },
    },
    (request) => healing.scorecard(request.caller, request.params.team, request.query),
  );
  app.get(
    '/api/teams/:team/healing/stats',
    {
      schema: {
        tags,
        summary:
          'Healing statistics over a window: runs by outcome and root cause, share healed without a person, ' +
          'time to recovery p50/p90, escalations, actions and their success rate',
        params: TeamParams,
        querystring: HealingWindowQuery,
        response: { 200: HealingStats },
      },
    },
    (request) => healing.stats(request.caller, request.params.team, request.query),
  );
  app.get(
    '/api/healing/builtin-trees',
    {
      schema: {
        tags,
        summary: 'The built-in DiagnosisTrees (`builtin/<name>`) as specs, to read or draw',
        response: { 200: HealingBuiltinTreeList },
      },
    },
    () => healing.builtinTrees(),
  );
  app.post(
    '/api/teams/:team/healing/dry-run',
    {
      schema: {
        tags,
        summary:
          'Which policy matches a trigger, the diagnosis path with live evidence, and the action it would ' +
          'take; acts on nothing, writes nothing',
        params: TeamParams,
        body: HealingDryRunRequest,
        response: { 200: HealingDryRunResult, ...errorResponses(422) },
      },
    },
    (request) => healing.dryRun(request.caller, request.params.team, request.body),
  );
}
