import type { PermissionRule, SluiceFunction } from '../../shared/runtime/define.js';

/**
 * What the REST API (the function named `api`) may do, as its own service account: read by
 * the manifest generator and functions/permissions.ts, like an event function's `permissions`.
 */
const permissions: PermissionRule[] = [
  // Every Sluice resource, read and written, only in the platform namespace.
  {
    apiGroups: ['sluice.dev'],
    resources: ['vnamespaces', 'deploymenttargets', 'flinkdeployments', 'flinkjobs', 'savepoints'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
    scope: 'platform',
  },
  {
    apiGroups: ['sluice.dev'],
    resources: ['vnamespaces/status', 'deploymenttargets/status', 'flinkdeployments/status', 'flinkjobs/status', 'savepoints/status'],
    verbs: ['get', 'update', 'patch'],
    scope: 'platform',
  },
  // API tokens (hashed, in Secrets labelled sluice.dev/kind=apitoken) and the bootstrap credential.
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'create', 'update', 'delete'], scope: 'platform' },
  // Deployments' event logs (Kubernetes Events labelled by vNamespace, Deployment and Job), read-only.
  { apiGroups: [''], resources: ['events'], verbs: ['list'], scope: 'platform' },
  // Whether a Deployment Target's Kubernetes namespace exists.
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'], scope: 'cluster' },
  // Job pods, read-only, and only where Sluice runs jobs: bound per target like the functions' target roles.
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'], scope: 'targets' },
];

/** The REST API as a deployed unit: a function with no event subscriptions (it is called over HTTP). */
export const apiUnit = {
  name: 'api',
  description: "The VVP-compatible REST API (HTTP; no event subscriptions); also receives the Broker's dead letters",
  subscriptions: [],
  permissions,
  kind: 'api',
} as const satisfies Pick<SluiceFunction, 'name' | 'description' | 'subscriptions' | 'permissions'> & { kind: 'api' };
