import type { NamespaceRole, RoleBinding, TokenRole } from '../model/index.js';

/**
 * VVP's permission matrix, pure. A caller is what a bearer token resolves to:
 * the platform superuser (the bootstrap credential, or everyone when SLUICE_AUTH=off), or
 * a token scoped to one vNamespace with one role.
 */
export type Caller = { kind: 'superuser'; name: string } | { kind: 'token'; name: string; namespace: string; role: TokenRole };

export type Resource =
  | 'deployments'
  | 'jobs'
  | 'savepoints'
  | 'events'
  | 'deployment-defaults'
  | 'secret-values'
  | 'deployment-targets'
  | 'apitokens'
  | 'namespace';
export type Verb = 'read' | 'write';

const RANK: Record<NamespaceRole, number> = { viewer: 1, editor: 2, owner: 3 };

/** The role a caller has in a vNamespace, if any. */
export function roleIn(caller: Caller, namespace: string, bindings: readonly RoleBinding[]): NamespaceRole | undefined {
  if (caller.kind === 'superuser') return 'owner';
  let best: NamespaceRole | undefined = caller.namespace === namespace && caller.role !== 'admin' ? caller.role : undefined;
  for (const b of bindings) {
    if (!b.members.includes('system:authenticated') || !(b.role in RANK)) continue;
    const role = b.role as NamespaceRole;
    if (!best || RANK[role] > RANK[best]) best = role;
  }
  return best;
}

/**
 * The least role a verb on a resource needs, after VVP's matrix: viewers read everything
 * but API tokens; editors also write everything but Deployment Targets, API tokens and the
 * Namespace itself; owners do everything in their namespace. (VVP lets only owners read
 * the Namespace object; Sluice lets every member read its own, so a tenant can find it.)
 */
export function requiredRole(resource: Resource, verb: Verb): NamespaceRole {
  if (verb === 'read') return resource === 'apitokens' ? 'owner' : 'viewer';
  return resource === 'deployment-targets' || resource === 'apitokens' || resource === 'namespace' ? 'owner' : 'editor';
}

export type Decision = { allowed: true } | { allowed: false; status: 403 | 404; message: string };

/**
 * Whether a caller may act in a vNamespace. A namespace the caller has no role in is
 * answered 404, exactly as if it did not exist: other tenants' names never leak.
 */
export function authorize(caller: Caller, namespace: string, bindings: readonly RoleBinding[], resource: Resource, verb: Verb): Decision {
  const role = roleIn(caller, namespace, bindings);
  if (!role) return { allowed: false, status: 404, message: `namespace ${namespace} not found` };
  const needed = requiredRole(resource, verb);
  if (RANK[role] >= RANK[needed]) return { allowed: true };
  return { allowed: false, status: 403, message: `role ${role} in namespace ${namespace} may not ${verb} ${resource} (needs ${needed})` };
}

/** Namespace resources themselves (create, delete, role bindings): admins and the superuser. */
export function mayAdministerNamespaces(caller: Caller): boolean {
  return caller.kind === 'superuser' || caller.role === 'admin';
}

/** Who may mint a token of a role: owners for their own namespace; admin tokens only the superuser. */
export function mayCreateToken(caller: Caller, namespace: string, bindings: readonly RoleBinding[], role: TokenRole): Decision {
  if (role === 'admin' && caller.kind !== 'superuser') {
    return { allowed: false, status: 403, message: 'only the platform superuser may create admin tokens' };
  }
  return authorize(caller, namespace, bindings, 'apitokens', 'write');
}
