/** Least-privilege RBAC: a unit's service account gets what its function declared, nothing else. */
import { targetRoleName } from '../../shared/runtime/rbac.js';
import type { PermissionRule, Scope } from '../../shared/runtime/define.js';
import { type Unit, unitName } from './units.js';
import { type Doc, type Obj, meta, serviceAccount } from './objects.js';

export const RBAC = 'rbac.authorization.k8s.io/v1';
export type PolicyRule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

export const toRule = ({ apiGroups, resources, verbs, resourceNames }: PermissionRule | PolicyRule): PolicyRule => ({
  apiGroups,
  resources,
  ...(resourceNames ? { resourceNames } : {}),
  verbs,
});

/**
 * Grants `rules` to one service account where `scope` says: platform → Role and RoleBinding
 * in the platform namespace; cluster → ClusterRole and ClusterRoleBinding; watched → a
 * ClusterRole bound by a RoleBinding in each watched namespace.
 */
export function grant(opts: {
  scope: Scope;
  name: string;
  rules: PolicyRule[];
  sa: { name: string; namespace: string };
  watchedNamespaces: readonly string[];
  labels?: Record<string, string>;
}): Obj[] {
  const { scope, name, rules, sa, labels } = opts;
  if (rules.length === 0) return [];
  const subjects = [{ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace }];
  const roleRef = (kind: 'Role' | 'ClusterRole', n: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name: n });
  if (scope === 'platform') {
    return [
      { apiVersion: RBAC, kind: 'Role', metadata: meta(name, sa.namespace, labels), rules },
      { apiVersion: RBAC, kind: 'RoleBinding', metadata: meta(name, sa.namespace, labels), roleRef: roleRef('Role', name), subjects },
    ];
  }
  if (scope === 'cluster') {
    return [
      { apiVersion: RBAC, kind: 'ClusterRole', metadata: meta(name, undefined, labels), rules },
      {
        apiVersion: RBAC,
        kind: 'ClusterRoleBinding',
        metadata: meta(name, undefined, labels),
        roleRef: roleRef('ClusterRole', name),
        subjects,
      },
    ];
  }
  const role = `${name}-watched`;
  return [
    { apiVersion: RBAC, kind: 'ClusterRole', metadata: meta(role, undefined, labels), rules },
    ...opts.watchedNamespaces.map((ns) => ({
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: meta(role, ns, labels),
      roleRef: roleRef('ClusterRole', role),
      subjects,
    })),
  ];
}

/** A unit's service account and all its RBAC: what it declared, nothing else. */
export function unitRbac(unit: Unit, namespace: string, watchedNamespaces: readonly string[]): Doc[] {
  const sa = { name: unitName(unit), namespace };
  const labels = { 'sluice.dev/function': unit.name };
  const rules = (scope: PermissionRule['scope']) => unit.permissions.filter((p) => p.scope === scope).map(toRule);
  const docs: Doc[] = [{ obj: serviceAccount(sa.name, namespace, labels) }];
  for (const scope of ['platform', 'cluster', 'watched'] as const) {
    for (const obj of grant({ scope, name: sa.name, rules: rules(scope), sa, watchedNamespaces, labels })) docs.push({ obj });
  }
  const targetRules = rules('targets');
  if (targetRules.length) {
    docs.push({
      comment:
        `Rules for the Deployment Targets' namespaces: deliberately not bound here. onDeploymentTargetCreate\n` +
        `binds this ClusterRole to ${sa.name} with a RoleBinding in each target's namespace.`,
      obj: { apiVersion: RBAC, kind: 'ClusterRole', metadata: meta(targetRoleName(unit), undefined, labels), rules: targetRules },
    });
  }
  return docs;
}
