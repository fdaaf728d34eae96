import { describe, expect, it } from 'vitest';
import { ApiError, readApiError } from './api-error.ts';

describe('readApiError', () => {
  it('takes code, message and details from the error body', async () => {
    const error = await readApiError(
      new Response(
        JSON.stringify({
          code: 'GANTRY_E_INVALID',
          message: 'invalid Team',
          details: [
            { path: '/spec/members/0/role', message: 'must be one of team-admin, operator, viewer' },
            'odd',
          ],
        }),
        { status: 422 },
      ),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      name: 'ApiError',
      status: 422,
      code: 'GANTRY_E_INVALID',
      message: 'invalid Team',
      details: [{ path: '/spec/members/0/role', message: 'must be one of team-admin, operator, viewer' }],
    });
  });

  it('makes the text of a body that is not JSON the message, under an HTTP_<status> code', async () => {
    expect(await readApiError(new Response('Bad Gateway\n', { status: 502 }))).toMatchObject({
      status: 502,
      code: 'HTTP_502',
      message: 'Bad Gateway',
      details: [],
    });
  });

  it('falls back to the status text, then to the status, for an empty body', async () => {
    expect(
      await readApiError(new Response('', { status: 503, statusText: 'Service Unavailable' })),
    ).toMatchObject({
      code: 'HTTP_503',
      message: 'Service Unavailable',
    });
    expect((await readApiError(new Response(null, { status: 500 }))).message).toBe(
      'request failed with status 500',
    );
  });
});
