import {
  InputError,
  type AlertRoutingSpec,
  type InhibitRuleSpec,
  type TimeIntervalSpec,
} from '@gantry/model';
import { compileInhibitRule, compileRouting, type SpecProblem } from './routing.ts';
import { compileTimeInterval } from './time-interval.ts';

/** What a resource write offers the check (the resource API's AdmissionRequest fits). */
export interface DispatchAdmissionRequest {
  operation: 'create' | 'update' | 'delete';
  name: string;
  object?: { spec: unknown };
}

/** Where the checks are registered (the resource API's ResourceService fits). */
export interface AdmissionRegistry {
  admit(kind: string, hook: (request: DispatchAdmissionRequest) => Promise<void>): void;
}

/** The problems of a dispatch resource's spec beyond its schema: matchers, durations, ranges, zones. */
export function dispatchSpecProblems(kind: string, name: string, spec: unknown): SpecProblem[] {
  switch (kind) {
    case 'AlertRouting':
      return compileRouting(name, spec as AlertRoutingSpec).problems;
    case 'InhibitRule':
      return compileInhibitRule(name, spec as InhibitRuleSpec).problems;
    case 'TimeInterval':
      return compileTimeInterval(name, spec as TimeIntervalSpec).problems;
    default:
      return [];
  }
}

/**
 * Refuses AlertRouting, InhibitRule and TimeInterval writes whose matchers, durations or time ranges do
 * not parse, with the field path of each (`/spec/routes/0/matchers/1`): 400 GANTRY_E_INVALID.
 */
export function registerDispatchAdmission(resources: AdmissionRegistry): void {
  for (const kind of ['AlertRouting', 'InhibitRule', 'TimeInterval']) {
    resources.admit(kind, (request) => {
      if (request.operation === 'delete' || !request.object) return Promise.resolve();
      const problems = dispatchSpecProblems(kind, request.name, request.object.spec);
      if (problems.length === 0) return Promise.resolve();
      return Promise.reject(
        new InputError(
          `${kind} ${request.name} is invalid: ${problems.map((p) => `/spec${p.path} ${p.message}`).join('; ')}`,
          problems.map((problem) => ({ path: `/spec${problem.path}`, message: problem.message })),
        ),
      );
    });
  }
}
