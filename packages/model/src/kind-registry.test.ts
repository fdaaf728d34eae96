import { Type } from '@sinclair/typebox';
import { describe, expect, it, vi } from 'vitest';
import { pointerToDotted } from './errors.ts';
import { KindRegistry } from './kind-registry.ts';
import { createAjv, lazyValidator } from './validation.ts';
import { teamKind } from './kinds/team.ts';

describe('kind registry', () => {
  const registry = new KindRegistry();
  registry.register(teamKind);
  registry.register({
    kind: 'Gadget',
    plural: 'gadgets',
    scope: 'Team',
    description: 'test',
    spec: Type.Object({ size: Type.Integer({ default: 1 }) }, { additionalProperties: false }),
  });

  it('finds kinds by kind, plural, singular and short name, case-insensitively', () => {
    for (const alias of ['Team', 'teams', 'team', 'TM', 'TEAMS'])
      expect(registry.get(alias).kind).toBe('Team');
    expect(registry.find('nope')).toBeUndefined();
    expect(() => registry.get('nope')).toThrow(/unknown kind/);
    expect(() => registry.register(teamKind)).toThrow(/twice/);
    expect(registry.list().map((k) => k.kind)).toEqual(['Gadget', 'Team']);
  });

  it('validates the whole object and reports every problem with its path', () => {
    const result = registry.get('Team').validate({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: { name: 'ok', labels: { 'bad key!': 'x' } },
      spec: { members: [{ user: 'a', role: 'owner' }], extra: 1 },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual(
      expect.arrayContaining([
        { path: '/spec/extra', message: 'unknown field' },
        { path: '/spec/members/0/role', message: 'must be one of ["team-admin","operator","viewer"]' },
      ]),
    );
    expect(result.errors.some((e) => e.path.startsWith('/metadata/labels'))).toBe(true);
  });

  it('applies schema defaults', () => {
    const object = { apiVersion: 'gantry.dev/v1alpha1', kind: 'Gadget', metadata: { name: 'g' }, spec: {} };
    expect(registry.get('gadget').validate(object).ok).toBe(true);
    expect(object.spec).toEqual({ size: 1 });
  });

  it('refuses an object of another kind or version', () => {
    const result = registry
      .get('Team')
      .validate({ apiVersion: 'v1', kind: 'Gadget', metadata: { name: 'x' }, spec: { members: [] } });
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual(['/apiVersion', '/kind']);
  });

  it('turns pointers into dotted paths for humans', () => {
    expect(pointerToDotted('/spec/members/0/role')).toBe('spec.members[0].role');
    expect(pointerToDotted('/metadata/labels/a~1b')).toBe('metadata.labels.a/b');
    expect(pointerToDotted('')).toBe('(root)');
  });

  it('compiles a schema on its first validation, once', () => {
    const ajv = createAjv();
    const compile = vi.spyOn(ajv, 'compile');
    const validate = lazyValidator(ajv, Type.Object({ size: Type.Integer() }));
    expect(compile).not.toHaveBeenCalled();
    expect(validate({ size: 1 }).ok).toBe(true);
    expect(validate({ size: 'x' })).toEqual({
      ok: false,
      errors: [{ path: '/size', message: 'must be integer' }],
    });
    expect(compile).toHaveBeenCalledTimes(1);
  });
});
