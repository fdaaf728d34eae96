import { ErrorBody } from '@gantry/model';

/**
 * `{ 409: ErrorBody, 422: ErrorBody }`: the error answers particular to a route, for its `response`. The
 * OpenAPI document adds those every route may give (400, 404, 401 and 403 unless public, ...).
 */
export function errorResponses<const S extends number>(...statuses: S[]): Record<S, typeof ErrorBody> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorBody])) as Record<S, typeof ErrorBody>;
}
