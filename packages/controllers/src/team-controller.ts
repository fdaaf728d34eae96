import { ConflictError, NotFoundError, type Condition, type Resource, type TeamSpec } from '@gantry/model';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import type { ResourceService } from '@gantry/resources';
import type { UserRepository } from '@gantry/store';
import { ConditionStatus, setCondition, type ConditionUpdate } from './conditions.ts';
import type { Controller, ObjectKey, ReconcileContext, ReconcileResult } from './controller.ts';

export const TeamConditionType = {
  MembersResolved: 'MembersResolved',
  Ready: 'Ready',
} as const;

export const TeamReason = {
  /** Every member names an existing user. */
  MembersResolved: 'MembersResolved',
  /** At least one member names no user. */
  UnknownUser: 'UnknownUser',
} as const;

export interface TeamStatus {
  observedGeneration?: number;
  conditions?: Condition[];
}

type Team = Resource<TeamSpec, TeamStatus>;

export interface TeamControllerDeps {
  resources: Pick<ResourceService, 'get' | 'replaceStatus'>;
  users: Pick<UserRepository, 'get'>;
}

export const TEAM_CONTROLLER_CALLER: Caller = { principal: SYSTEM_PRINCIPAL, source: 'controller/team' };

/** Stage 1: does every member name a user? */
async function resolveMembers(team: Team, users: TeamControllerDeps['users']): Promise<ConditionUpdate> {
  const names = [...new Set(team.spec.members.map((member) => member.user))];
  const found = await Promise.all(names.map(async (name) => ((await users.get(name)) ? undefined : name)));
  const unknown = found.filter((name): name is string => name !== undefined);
  const observedGeneration = team.metadata.generation;
  if (unknown.length > 0) {
    return {
      type: TeamConditionType.MembersResolved,
      status: ConditionStatus.False,
      reason: TeamReason.UnknownUser,
      message: `no such user: ${unknown.join(', ')}; create ${unknown.length === 1 ? 'it' : 'them'} or remove ${unknown.length === 1 ? 'the member' : 'those members'}`,
      observedGeneration,
    };
  }
  return {
    type: TeamConditionType.MembersResolved,
    status: ConditionStatus.True,
    reason: TeamReason.MembersResolved,
    message:
      names.length === 0
        ? 'the team has no members'
        : names.length === 1
          ? 'the one member is a known user'
          : `all ${names.length} members are known users`,
    observedGeneration,
  };
}

/** Stage 2: a team is ready when its members resolve; it says why not otherwise. */
function readiness(members: ConditionUpdate): ConditionUpdate {
  return { ...members, type: TeamConditionType.Ready };
}

/**
 * Checks that each Team's members are real users and reports it in `MembersResolved` and `Ready`.
 * A status that would not change is not written, so the controller's own write does not loop.
 */
export function createTeamController(deps: TeamControllerDeps): Controller {
  return {
    name: 'team',
    kind: 'Team',
    async reconcile(ctx: ReconcileContext, key: ObjectKey): Promise<ReconcileResult> {
      let team: Team;
      try {
        team = (await deps.resources.get(TEAM_CONTROLLER_CALLER, 'Team', undefined, key.name)) as Team;
      } catch (error) {
        if (error instanceof NotFoundError) return {}; // deleted: nothing to report on
        throw error;
      }
      const now = ctx.now();
      const members = await resolveMembers(team, deps.users);
      let conditions = setCondition(team.status?.conditions, members, now);
      conditions = setCondition(conditions, readiness(members), now);
      const status: TeamStatus = { ...team.status, observedGeneration: team.metadata.generation, conditions };

      if (ctx.signal.aborted) return {};
      try {
        await deps.resources.replaceStatus(
          TEAM_CONTROLLER_CALLER,
          'Team',
          undefined,
          key.name,
          {
            apiVersion: team.apiVersion,
            kind: team.kind,
            metadata: { name: team.metadata.name, resourceVersion: team.metadata.resourceVersion },
            status,
          },
          ctx.term.fence ? { fence: ctx.term.fence } : {},
        );
      } catch (error) {
        // Changed or deleted since we read it: the change is in the queue already, look again then.
        if (error instanceof ConflictError || error instanceof NotFoundError) return {};
        throw error;
      }
      ctx.logger.debug(
        { ready: members.status, reason: members.reason, generation: team.metadata.generation },
        'team reconciled',
      );
      return {};
    },
  };
}
