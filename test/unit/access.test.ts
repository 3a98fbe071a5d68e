import { describe, expect, it } from 'vitest';
import { type Caller, type Resource, authorize, mayAdministerNamespaces, mayCreateToken, roleIn } from '../../shared/vvp/access.js';
import { bearer, generateToken, hashToken, sameHash, tokenSecretName } from '../../shared/vvp/tokens.js';
import { mergePatch } from '../../shared/vvp/merge.js';
import { namespaceView, parseNamespaceName, parseRoleBindings } from '../../shared/vvp/namespaces.js';
import type { RoleBinding } from '../../shared/model/index.js';

const token = (role: 'viewer' | 'editor' | 'owner' | 'admin', namespace = 'team-1'): Caller => ({
  kind: 'token',
  name: 't',
  namespace,
  role,
});
const superuser: Caller = { kind: 'superuser', name: 'bootstrap' };

describe("VVP's permission matrix", () => {
  const cases: [Resource, 'read' | 'write', Record<'viewer' | 'editor' | 'owner', boolean>][] = [
    ['deployments', 'read', { viewer: true, editor: true, owner: true }],
    ['deployments', 'write', { viewer: false, editor: true, owner: true }],
    ['jobs', 'read', { viewer: true, editor: true, owner: true }],
    ['savepoints', 'write', { viewer: false, editor: true, owner: true }],
    ['deployment-targets', 'read', { viewer: true, editor: true, owner: true }],
    ['deployment-targets', 'write', { viewer: false, editor: false, owner: true }],
    ['apitokens', 'read', { viewer: false, editor: false, owner: true }],
    ['apitokens', 'write', { viewer: false, editor: false, owner: true }],
    ['namespace', 'write', { viewer: false, editor: false, owner: true }],
  ];
  it.each(cases)('%s %s', (resource, verb, expected) => {
    for (const role of ['viewer', 'editor', 'owner'] as const) {
      const d = authorize(token(role), 'team-1', [], resource, verb);
      expect(d.allowed, `${role} ${verb} ${resource}`).toBe(expected[role]);
      if (!d.allowed) expect(d).toMatchObject({ status: 403, message: expect.stringContaining(`role ${role}`) });
    }
    expect(authorize(superuser, 'team-1', [], resource, verb).allowed).toBe(true);
  });

  it("answers another tenant's namespace with 404, whatever the role", () => {
    for (const role of ['viewer', 'editor', 'owner', 'admin'] as const) {
      expect(authorize(token(role, 'team-2'), 'team-1', [], 'deployments', 'read')).toEqual({
        allowed: false,
        status: 404,
        message: 'namespace team-1 not found',
      });
    }
  });

  it('gives admins Namespace resources only, no access inside namespaces', () => {
    expect(mayAdministerNamespaces(token('admin'))).toBe(true);
    expect(mayAdministerNamespaces(token('owner'))).toBe(false);
    expect(mayAdministerNamespaces(superuser)).toBe(true);
    expect(authorize(token('admin'), 'team-1', [], 'deployments', 'read').allowed).toBe(false);
  });

  it('honours system:authenticated role bindings, and only those, for other namespaces', () => {
    const bindings: RoleBinding[] = [
      { role: 'viewer', members: ['system:authenticated'] },
      { role: 'owner', members: ['user:alice'] },
    ];
    expect(roleIn(token('editor', 'team-2'), 'team-1', bindings)).toBe('viewer');
    expect(roleIn(token('editor', 'team-1'), 'team-1', bindings)).toBe('editor');
    expect(authorize(token('owner', 'team-2'), 'team-1', bindings, 'deployments', 'write')).toMatchObject({ allowed: false, status: 403 });
  });

  it('lets owners mint tokens for their namespace; admin tokens only the superuser', () => {
    expect(mayCreateToken(token('owner'), 'team-1', [], 'editor').allowed).toBe(true);
    expect(mayCreateToken(token('editor'), 'team-1', [], 'viewer')).toMatchObject({ allowed: false, status: 403 });
    expect(mayCreateToken(token('owner'), 'team-1', [], 'admin')).toMatchObject({ allowed: false, status: 403 });
    expect(mayCreateToken(superuser, 'team-1', [], 'admin').allowed).toBe(true);
    expect(mayCreateToken(token('owner', 'team-2'), 'team-1', [], 'viewer')).toMatchObject({ allowed: false, status: 404 });
  });
});

describe('token secrets', () => {
  it('are random, hashed, and name their Secret by hash', () => {
    const a = generateToken();
    expect(a).toMatch(/^sluice_[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(a);
    const h = hashToken(a);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(sameHash(h, hashToken(a))).toBe(true);
    expect(sameHash(h, hashToken(`${a}x`))).toBe(false);
    expect(tokenSecretName(h)).toBe(`apitoken-${h.slice(0, 40)}`);
    expect(tokenSecretName(h)).not.toContain(a);
  });
  it('are read from a Bearer header only', () => {
    expect(bearer('Bearer abc')).toBe('abc');
    expect(bearer('bearer  abc ')).toBe('abc');
    expect(bearer('Basic abc')).toBeUndefined();
    expect(bearer(undefined)).toBeUndefined();
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, replaces arrays and scalars, deletes on null', () => {
    const target = { a: 1, b: { c: 2, d: 3 }, e: [1, 2] };
    expect(mergePatch(target, { b: { c: null, x: 1 }, e: [3], f: 'n' })).toEqual({ a: 1, b: { d: 3, x: 1 }, e: [3], f: 'n' });
    expect(target).toEqual({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] });
    expect(mergePatch(target, JSON.parse('{"__proto__": {"polluted": true}}'))).toEqual(target);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('namespaces', () => {
  it('accept both "namespaces/x" and "x", as DNS labels', () => {
    expect(parseNamespaceName('namespaces/vvp-namespace-1')).toBe('vvp-namespace-1');
    expect(parseNamespaceName('team-2')).toBe('team-2');
    expect(() => parseNamespaceName('Team_2')).toThrow(/not a valid namespace name/);
    expect(() => parseNamespaceName(undefined)).toThrow(/needs a name/);
  });
  it('validate role bindings, naming the field', () => {
    expect(parseRoleBindings([{ role: 'owner', members: ['user:alice', 'system:authenticated'] }])).toHaveLength(1);
    expect(() => parseRoleBindings([{ role: 'god', members: [] }])).toThrow('roleBindings[0].role');
    expect(() => parseRoleBindings([{ role: 'viewer', members: ['alice'] }])).toThrow('roleBindings[0].members');
  });
  it("are shown in VVP's shape", () => {
    expect(
      namespaceView({
        metadata: { name: 'x', namespace: 'sluice-system', creationTimestamp: '2026-01-01T00:00:00Z' },
        spec: { roleBindings: [] },
      }),
    ).toEqual({
      name: 'namespaces/x',
      roleBindings: [],
      createTime: '2026-01-01T00:00:00.000Z',
      lifecyclePhase: 'LIFECYCLE_PHASE_ACTIVE',
    });
  });
});
