import type { PermissionRule } from '../../shared/runtime/define.js';

/** What onJobPodStatus may do, as its own service account (its RBAC): read without its handler (functions/permissions.ts). */
export const permissions: PermissionRule[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'], scope: 'targets' },
  // Whether a JobManager will come back once none of its pods is left.
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'], scope: 'targets' },
  { apiGroups: ['sluice.dev'], resources: ['flinkjobs'], verbs: ['get', 'list', 'watch'], scope: 'platform' },
  { apiGroups: ['sluice.dev'], resources: ['flinkjobs/status'], verbs: ['update'], scope: 'platform' },
  // On Knative, its recheck ping stream while a job is starting or restarting (shared/runtime/rechecks.ts).
  { apiGroups: ['sources.knative.dev'], resources: ['pingsources'], verbs: ['create', 'delete'], scope: 'platform' },
];
