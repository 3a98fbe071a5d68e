import type { PermissionRule } from '../../shared/runtime/define.js';

/** What applyPatchSet may do, as its own service account (its RBAC): read without its handler (functions/permissions.ts). */
export const permissions: PermissionRule[] = [
  { apiGroups: ['sluice.dev'], resources: ['flinkdeployments', 'deploymenttargets'], verbs: ['get', 'list', 'watch'], scope: 'platform' },
  { apiGroups: ['sluice.dev'], resources: ['flinkdeployments/status'], verbs: ['update'], scope: 'platform' },
];
