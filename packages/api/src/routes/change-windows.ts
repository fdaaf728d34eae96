import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  ChangeCalendar,
  ChangeCalendarQuery,
  ChangeWindowCalendar,
  type ChangeWindowSpec,
  type Resource,
} from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import { calendarRange, openIntervals, windowCalendar } from '../change-calendar.ts';
import { errorResponses } from '../responses.ts';
import { compileWindow } from '@gantry/changes';

const NAME = { pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 } as const;
const TeamParams = Type.Object({ team: Type.String(NAME) });
const WindowParams = Type.Object({ team: Type.String(NAME), name: Type.String(NAME) });

export interface ChangeWindowRouteDeps {
  resources: Pick<ResourceService, 'get' | 'list'>;
  /** The default `from` of a calendar. */
  now: () => number;
}

/**
 * ChangeWindows as a calendar (ADR 0031): the occurrences of their allowed periods and freezes in a
 * range, and when changes may act, computed by the engine's own window code.
 */
export function changeWindowRoutes(fastify: FastifyInstance, deps: ChangeWindowRouteDeps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['changes'];

  app.get(
    '/api/teams/:team/changewindows/:name/occurrences',
    {
      schema: {
        tags,
        summary:
          "A ChangeWindow's allowed periods and freezes as they fall between from and to, and when it lets a change act",
        params: WindowParams,
        querystring: ChangeCalendarQuery,
        response: { 200: ChangeWindowCalendar, ...errorResponses(400) },
      },
    },
    async (request) => {
      const { from, to } = calendarRange(request.query, deps.now());
      const window = (await deps.resources.get(
        request.caller,
        'ChangeWindow',
        request.params.team,
        request.params.name,
      )) as Resource<ChangeWindowSpec>;
      return windowCalendar(window.metadata.name, window.spec, from, to);
    },
  );

  app.get(
    '/api/teams/:team/change-calendar',
    {
      schema: {
        tags,
        summary:
          'Every ChangeWindow of the team between from and to, and when a change honouring only those that apply to all may act',
        params: TeamParams,
        querystring: ChangeCalendarQuery,
        response: { 200: ChangeCalendar, ...errorResponses(400) },
      },
    },
    async (request) => {
      const { from, to } = calendarRange(request.query, deps.now());
      const windows: Resource<ChangeWindowSpec>[] = [];
      let continueToken: string | undefined;
      do {
        const page = await deps.resources.list(request.caller, 'ChangeWindow', {
          team: request.params.team,
          limit: 500,
          ...(continueToken ? { continue: continueToken } : {}),
        });
        windows.push(...(page.items as Resource<ChangeWindowSpec>[]));
        continueToken = page.metadata.continue || undefined;
      } while (continueToken);
      const forAll = windows
        .filter((window) => window.spec.appliesToAllChanges)
        .flatMap((window) => {
          const compiled = compileWindow(window.metadata.name, window.spec);
          return compiled.ok ? compiled.periods : [];
        });
      return {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        items: windows.map((window) => windowCalendar(window.metadata.name, window.spec, from, to)),
        open: openIntervals(forAll, from, to).intervals,
      };
    },
  );
}
