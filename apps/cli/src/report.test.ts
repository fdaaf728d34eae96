import { describe, expect, it } from 'vitest';
import { ApiError } from '@gantry/client';
import { ConnectionError } from './client.ts';
import { CliError } from './errors.ts';
import { pointerToFieldPath } from './objects.ts';
import { errorLines } from './report.ts';

describe('errorLines', () => {
  const origin = { source: 'apps/web.yaml', document: 2 };

  it('names file, document and field for each server error detail', () => {
    const error = new ApiError(422, 'GANTRY_E_INVALID', 'invalid', [
      { path: '/spec/replicas', message: 'must be integer' },
      { path: '/spec/members/0/role', message: 'must be one of team-admin, operator, viewer' },
    ]);
    expect(errorLines(error, origin)).toEqual([
      'apps/web.yaml (document 2): spec.replicas: must be integer [GANTRY_E_INVALID]',
      'apps/web.yaml (document 2): spec.members[0].role: must be one of team-admin, operator, viewer [GANTRY_E_INVALID]',
    ]);
  });

  it('uses the message when there are no details, and omits an empty path', () => {
    expect(errorLines(new ApiError(409, 'GANTRY_E_CONFLICT', 'resourceVersion mismatch'), origin)).toEqual([
      'apps/web.yaml (document 2): resourceVersion mismatch [GANTRY_E_CONFLICT]',
    ]);
    expect(
      errorLines(new ApiError(422, 'GANTRY_E_INVALID', 'x', [{ path: '', message: 'must be object' }])),
    ).toEqual(['must be object [GANTRY_E_INVALID]']);
  });

  it('keeps the message of non-validation errors and adds their details', () => {
    const error = new ApiError(
      409,
      'GANTRY_E_CONFLICT',
      'team blue still owns resources; delete them first',
      [{ path: '/metadata/name', message: 'team is not empty' }],
    );
    expect(errorLines(error, { source: 't.yaml', document: 1 })).toEqual([
      't.yaml (document 1): team blue still owns resources; delete them first (metadata.name: team is not empty) [GANTRY_E_CONFLICT]',
    ]);
  });

  it('tells the user to log in on 401', () => {
    expect(errorLines(new ApiError(401, 'GANTRY_E_UNAUTHENTICATED', 'bad token'))).toEqual([
      'not logged in or token expired: run gantry login',
    ]);
  });

  it('passes connection and CLI errors through', () => {
    expect(errorLines(new ConnectionError('http://127.0.0.1:1', 'ECONNREFUSED'))).toEqual([
      'cannot reach server http://127.0.0.1:1 (ECONNREFUSED)',
    ]);
    expect(errorLines(new CliError('nope'), { source: 'a.yaml', document: 1 })).toEqual([
      'a.yaml (document 1): nope',
    ]);
  });
});

describe('pointerToFieldPath', () => {
  it.each([
    ['/spec/replicas', 'spec.replicas'],
    ['/spec/members/0/role', 'spec.members[0].role'],
    ['/metadata/labels/a~1b', 'metadata.labels.a/b'],
    ['', ''],
    ['spec.already', 'spec.already'],
  ])('%s → %s', (pointer, path) => {
    expect(pointerToFieldPath(pointer)).toBe(path);
  });
});
