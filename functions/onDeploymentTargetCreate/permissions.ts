import type { PermissionRule } from '../../shared/runtime/define.js';
import { targetRoleName } from '../../shared/runtime/rbac.js';
import { TARGET_PRINCIPALS } from '../permissions.js';

/** What onDeploymentTargetCreate may do, as its own service account (its RBAC): read without its handler. */
export const permissions: PermissionRule[] = [
  { apiGroups: ['sluice.dev'], resources: ['deploymenttargets', 'flinkdeployments'], verbs: ['get', 'list', 'watch'], scope: 'platform' },
  { apiGroups: ['sluice.dev'], resources: ['deploymenttargets/status'], verbs: ['update'], scope: 'platform' },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'create'], scope: 'cluster' },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create', 'delete'], scope: 'cluster' },
  // `bind` on exactly the target ClusterRoles that targetBindings() binds: those of the units with target rules.
  {
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['clusterroles'],
    verbs: ['bind'],
    resourceNames: TARGET_PRINCIPALS.map(targetRoleName),
    scope: 'cluster',
  },
];
