import type { PermissionRule } from '../../shared/runtime/define.js';

/** What onCrChanged may do, as its own service account (its RBAC): read without its handler (functions/permissions.ts). */
export const permissions: PermissionRule[] = [
  { apiGroups: ['ververica.platform'], resources: ['vvpdeployments'], verbs: ['get', 'list', 'watch', 'update'], scope: 'watched' },
  { apiGroups: ['ververica.platform'], resources: ['vvpdeployments/status'], verbs: ['update'], scope: 'watched' },
  // The apikeySecretName Secret, and the leader-election ConfigMap that claims the namespace.
  { apiGroups: [''], resources: ['secrets'], verbs: ['get'], scope: 'watched' },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'update'], scope: 'watched' },
  { apiGroups: ['sluice.dev'], resources: ['flinkdeployments'], verbs: ['get', 'list', 'watch', 'create', 'update'], scope: 'platform' },
  { apiGroups: ['sluice.dev'], resources: ['deploymenttargets', 'vnamespaces'], verbs: ['get', 'list'], scope: 'platform' },
  // Platform.createSavepoint (the initial savepoint): lists the Deployment's, creates one, removes it if its status write fails.
  { apiGroups: ['sluice.dev'], resources: ['savepoints'], verbs: ['get', 'list', 'create', 'delete'], scope: 'platform' },
  { apiGroups: ['sluice.dev'], resources: ['savepoints/status'], verbs: ['update'], scope: 'platform' },
  // API tokens are Secrets in the platform namespace (TokenStore.resolve).
  { apiGroups: [''], resources: ['secrets'], verbs: ['get'], scope: 'platform' },
];
