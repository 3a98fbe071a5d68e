import type { PermissionRule } from '../../shared/runtime/define.js';

/**
 * What the REST API (the function named `api`) may do, as its own service account. It has no
 * event subscriptions, so this list is declared here and read by the manifest generator
 * (scripts/generate-manifests.ts), like an event function's `permissions`.
 */
export const apiPermissions: PermissionRule[] = [
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
