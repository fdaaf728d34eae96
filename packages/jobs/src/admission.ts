import { CronExpressionParser } from 'cron-parser';
import {
  InputError,
  parseLabelSelector,
  type ErrorDetail,
  type JobTemplateSpec,
  type ScheduleSpec,
} from '@gantry/model';
import { touchesOf } from './execution.ts';
import { authorize } from '@gantry/identity';
import type { ResourceService } from '@gantry/resources';

/** The next time `cron` fires after `after` in `timeZone`, or a problem with its path. */
export function nextCronTime(
  spec: Pick<ScheduleSpec, 'cron' | 'timeZone'>,
  after: number,
): { ok: true; at: number } | { ok: false; errors: ErrorDetail[] } {
  const errors: ErrorDetail[] = [];
  const fields = spec.cron.trim().split(/\s+/);
  if (fields.length < 5 || fields.length > 6)
    errors.push({ path: '/spec/cron', message: 'must have five fields (or six, with seconds first)' });
  try {
    new Intl.DateTimeFormat('en', { timeZone: spec.timeZone });
  } catch {
    errors.push({ path: '/spec/timeZone', message: 'is not an IANA time zone' });
  }
  if (errors.length > 0) return { ok: false, errors };
  try {
    const expression = CronExpressionParser.parse(spec.cron, {
      currentDate: new Date(after),
      tz: spec.timeZone,
      strict: false,
    });
    return { ok: true, at: expression.next().getTime() };
  } catch (error) {
    return {
      ok: false,
      errors: [{ path: '/spec/cron', message: error instanceof Error ? error.message : String(error) }],
    };
  }
}

/**
 * Writing a JobTemplate is a team-admin's (operators may run them); a template runs a script, an
 * action, or a cluster Job. A Schedule's cron and time zone must parse.
 */
export function registerJobAdmission(resources: ResourceService): void {
  resources.admit('JobTemplate', (request) => {
    authorize(request.caller.principal, 'manage', request.team, `JobTemplates in team ${request.team}`);
    const spec = request.object?.spec as JobTemplateSpec | undefined;
    if (spec && spec.script && spec.action)
      throw new InputError('a template runs a script or an action, not both', [
        { path: '/spec/action', message: 'remove it, or remove spec.script' },
      ]);
    if (spec && !spec.script && !spec.action && !spec.cluster)
      throw new InputError('a template needs something to run', [
        { path: '/spec/script', message: 'give spec.script, spec.action or spec.cluster' },
      ]);
    const selector = spec && touchesOf(spec)?.hosts;
    if (selector !== undefined) {
      try {
        parseLabelSelector(selector);
      } catch (error) {
        throw new InputError('spec.touches.hosts is not a label selector', [
          { path: '/spec/touches/hosts', message: error instanceof Error ? error.message : String(error) },
        ]);
      }
    }
    return Promise.resolve();
  });
  resources.admit('Schedule', (request) => {
    const spec = request.object?.spec as ScheduleSpec | undefined;
    if (!spec) return Promise.resolve();
    // Whether it parses does not depend on when: any start time will do.
    const next = nextCronTime(spec, 0);
    if (!next.ok) throw new InputError('invalid schedule', next.errors);
    return Promise.resolve();
  });
}
