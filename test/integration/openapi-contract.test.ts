import { describe, expect, it } from 'vitest';
import { openApiViolations, type RecordedReply } from '../support/openapi-contract.ts';

// The checker the API suites end with (api-suite.ts, delivery-api.test.ts): it must be able to fail.
const document = {
  openapi: '3.1.0',
  paths: {
    '/api/things/{name}': {
      get: {
        responses: {
          '200': {
            description: 'OK',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
          },
          '404': { $ref: '#/components/responses/E404' },
        },
      },
    },
  },
  components: {
    schemas: {
      Thing: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string' } },
        additionalProperties: false,
      },
      Error: {
        type: 'object',
        required: ['code', 'message', 'details'],
        properties: { code: { enum: ['GANTRY_E_NOT_FOUND'] }, message: { type: 'string' }, details: {} },
        additionalProperties: false,
      },
    },
    responses: {
      E404: {
        description: 'Not found',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    },
  },
};

const reply = (overrides: Partial<RecordedReply>): RecordedReply => ({
  method: 'GET',
  url: '/api/things/a',
  status: 200,
  contentType: 'application/json; charset=utf-8',
  body: { name: 'a' },
  ...overrides,
});

describe('openApiViolations', () => {
  it('accepts declared answers', () => {
    const notFound = { code: 'GANTRY_E_NOT_FOUND', message: 'no', details: [] };
    expect(
      openApiViolations(document, [
        reply({}),
        reply({ status: 404, body: notFound }),
        reply({ url: '/api/nothing', status: 404, body: notFound }),
      ]),
    ).toEqual([]);
  });

  it('refuses a status the operation does not declare', () => {
    expect(openApiViolations(document, [reply({ status: 409 })])).toEqual([
      'GET /api/things/a → 409: GET /api/things/{name} does not declare 409',
    ]);
  });

  it('refuses a body its schema does not allow: an extra field, a missing one, an unknown error code', () => {
    const violations = openApiViolations(document, [
      reply({ body: { name: 'a', extra: true } }),
      reply({ body: {} }),
      reply({ status: 404, body: { code: 'GANTRY_E_VALIDATION', message: 'no', details: [] } }),
    ]);
    expect(violations).toHaveLength(3);
    expect(violations[0]).toContain('must NOT have additional properties');
    expect(violations[1]).toContain("must have required property 'name'");
    expect(violations[2]).toContain('must be equal to one of the allowed values');
  });

  it('wants 405 for a method a known path does not take, and a content type it declares', () => {
    expect(
      openApiViolations(document, [
        reply({ method: 'DELETE', status: 200 }),
        reply({ contentType: 'text/html' }),
      ]),
    ).toEqual([
      'DELETE /api/things/a → 200: the path does not take this method: expected 405',
      'GET /api/things/a → 200: content type text/html is not one of application/json',
    ]);
  });
});
