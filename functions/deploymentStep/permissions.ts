import type { PermissionRule } from '../../shared/runtime/define.js';
import { HA_CONFIGMAP_VERBS } from '../../shared/vvp/flink-resources.js';

/** What deploymentStep may do, as its own service account (its RBAC): read without its handler (functions/permissions.ts). */
export const permissions: PermissionRule[] = [
  {
    apiGroups: ['sluice.dev'],
    resources: ['flinkdeployments', 'flinkjobs', 'savepoints'],
    verbs: ['get', 'list', 'watch'],
    scope: 'platform',
  },
  {
    apiGroups: ['sluice.dev'],
    resources: ['flinkdeployments/status', 'flinkjobs/status', 'savepoints/status'],
    verbs: ['update'],
    scope: 'platform',
  },
  // Its finalizer, while a job of the Deployment may have objects in the target namespace.
  { apiGroups: ['sluice.dev'], resources: ['flinkdeployments'], verbs: ['update'], scope: 'platform' },
  { apiGroups: ['sluice.dev'], resources: ['flinkjobs'], verbs: ['create'], scope: 'platform' },
  { apiGroups: ['sluice.dev'], resources: ['savepoints'], verbs: ['create', 'update'], scope: 'platform' },
  // get/create/delete for the parent; the rest because a job with Kubernetes HA gets a Role
  // with these rights, and RBAC lets Sluice grant only what it holds.
  { apiGroups: [''], resources: ['configmaps'], verbs: HA_CONFIGMAP_VERBS, scope: 'targets' },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['create'], scope: 'targets' },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['create'], scope: 'targets' },
  { apiGroups: [''], resources: ['services'], verbs: ['create'], scope: 'targets' },
  // The JobManager pod's IP (its REST API), and the pods' state when a savepoint failed.
  { apiGroups: [''], resources: ['pods'], verbs: ['list'], scope: 'targets' },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create'], scope: 'targets' },
  // Secret values a job's configuration references, read; the job's configuration Secret, created.
  { apiGroups: [''], resources: ['secrets'], verbs: ['get'], scope: 'platform' },
  { apiGroups: [''], resources: ['secrets'], verbs: ['create'], scope: 'targets' },
  // Deployments' event logs: recorded, and the oldest beyond the bound deleted.
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'list', 'delete'], scope: 'platform' },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create'], scope: 'targets' },
];
