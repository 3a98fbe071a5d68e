import type { PermissionRule } from '../shared/runtime/define.js';
import { apiUnit } from './api/unit.js';
import { permissions as applyPatchSet } from './applyPatchSet/permissions.js';
import { permissions as deploymentStep } from './deploymentStep/permissions.js';
import { permissions as onCrChanged } from './onCrChanged/permissions.js';
import { permissions as onJobPodStatus } from './onJobPodStatus/permissions.js';

/**
 * The permissions every unit declares, read without loading its handler: onDeploymentTargetCreate
 * binds in each target's namespace the target role of every unit with rules there, from its own
 * container. It is not among them itself (it binds, it holds no target rules); test/packaging
 * checks this list against functions/index.ts.
 */
export const DECLARED_PERMISSIONS: Record<string, readonly PermissionRule[]> = {
  applyPatchSet,
  deploymentStep,
  onCrChanged,
  onJobPodStatus,
  api: apiUnit.permissions,
};

/** The units with rules for target namespaces (scope `targets`): their target ClusterRoles are bound per target. */
export const TARGET_PRINCIPALS = Object.entries(DECLARED_PERMISSIONS)
  .filter(([, rules]) => rules.some((r) => r.scope === 'targets'))
  .map(([name]) => ({ name }));
