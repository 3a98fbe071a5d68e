import type { PermissionRule, SluiceFunction } from './define.js';

/** kebab-case, as Kubernetes names want it. */
export const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Each function runs as its own service account in the platform namespace. */
export const serviceAccountName = (fn: Pick<SluiceFunction, 'name'>) => `sluice-${kebab(fn.name)}`;

/** The ClusterRole a function's rules for target namespaces live in; bound per target, never cluster-wide. */
export const targetRoleName = (fn: Pick<SluiceFunction, 'name'>) => `sluice-${kebab(fn.name)}-targets`;

/** The Kubernetes PolicyRules of `fn` for one scope (`resourceNames` only where declared). */
export const rulesFor = (fn: Pick<SluiceFunction, 'permissions'>, scope: PermissionRule['scope']) =>
  fn.permissions
    .filter((p) => p.scope === scope)
    .map(({ apiGroups, resources, verbs, resourceNames }) => ({
      apiGroups,
      resources,
      verbs,
      ...(resourceNames ? { resourceNames } : {}),
    }));
