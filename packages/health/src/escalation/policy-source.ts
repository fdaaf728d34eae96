import type { EscalationPolicySpec } from '@gantry/model';
import type { ResourceRepository } from '@gantry/store';
import type { EscalationPolicySource } from './escalator.ts';

/** EscalationPolicies as stored resources, read at each step (an edit applies to the next step). */
export function escalationPolicySource(resources: Pick<ResourceRepository, 'get'>): EscalationPolicySource {
  return {
    async get(team, name) {
      const resource = await resources.get({ kind: 'EscalationPolicy', team, name });
      return resource ? (resource.spec as EscalationPolicySpec) : undefined;
    },
  };
}
