import { z } from 'zod';
import { DateTime, KubeObject, StringMap, Uuid, int32 } from './common.js';
import { parseNamespaceResourceName } from './naming.js';

/**
 * A vNamespace (VVP "Namespace"): `{name: "namespaces/<ns>", roleBindings, lifecyclePhase}`.
 * Not an application resource: no metadata/spec/status envelope in VVP.
 */

/** The roles a vNamespace's role bindings grant. */
export const NAMESPACE_ROLES = ['viewer', 'editor', 'owner'] as const;
export type NamespaceRole = (typeof NAMESPACE_ROLES)[number];
/** Every role, `admin` (an API token's only) included. */
export const ROLES = [...NAMESPACE_ROLES, 'admin'] as const;
export const Role = z.enum(ROLES);

/** `user:NAME`, `group:NAME` or `system:authenticated` (every valid token). */
export const Member = z
  .string()
  .regex(
    /^(user:[^\s:][^\s]*|group:[^\s:][^\s]*|system:authenticated)$/,
    'must be "user:<name>", "group:<name>" or "system:authenticated"',
  );

export const RoleBinding = z.strictObject({
  role: Role,
  members: z.array(Member),
});

export const LIFECYCLE_PHASES = ['LIFECYCLE_PHASE_ACTIVE', 'LIFECYCLE_PHASE_TERMINATING'] as const;
export const LifecyclePhase = z.enum(LIFECYCLE_PHASES);

export const NamespaceResourceName = z.string().refine((s) => parseNamespaceResourceName(s) !== undefined, {
  message: 'must be "namespaces/<name>" where <name> is a DNS label (lowercase letters, digits and "-", at most 63)',
});

/** As the REST API shows it. */
export const Namespace = z.strictObject({
  name: NamespaceResourceName,
  roleBindings: z.array(RoleBinding),
  lifecyclePhase: LifecyclePhase,
  createTime: DateTime.optional(),
});

/** POST/PUT body: lifecyclePhase and createTime are the server's, accepted (GET → PUT) and ignored. */
export const NamespaceInput = z.strictObject({
  name: NamespaceResourceName,
  roleBindings: z.array(RoleBinding).optional(),
  lifecyclePhase: LifecyclePhase.optional(),
  createTime: DateTime.optional(),
});

/**
 * The VNamespace custom resource (its Kubernetes name is the vNamespace name). A status
 * cannot be written together with a create (status subresource), so an absent
 * lifecyclePhase means ACTIVE; TERMINATING is recorded while a deletion cleans up.
 */
/** VVP's Deployment Defaults of a vNamespace as its VNamespace object keeps them (shared/vvp/deployment-defaults.ts). */
export const StoredDeploymentDefaults = z.strictObject({
  id: Uuid,
  createdAt: DateTime,
  modifiedAt: DateTime,
  resourceVersion: int32(0),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  spec: KubeObject,
});
export const VNamespaceCrSpec = z.strictObject({
  roleBindings: z.array(RoleBinding),
  deploymentDefaults: StoredDeploymentDefaults.optional(),
});
export const VNamespaceCrStatus = z.strictObject({
  lifecyclePhase: LifecyclePhase.optional(),
});

export type Role = z.infer<typeof Role>;
export type RoleBinding = z.infer<typeof RoleBinding>;
export type LifecyclePhase = z.infer<typeof LifecyclePhase>;
export type Namespace = z.infer<typeof Namespace>;
export type NamespaceInput = z.infer<typeof NamespaceInput>;
export type StoredDeploymentDefaults = z.infer<typeof StoredDeploymentDefaults>;
export type VNamespaceCrSpec = z.infer<typeof VNamespaceCrSpec>;
export type VNamespaceCrStatus = z.infer<typeof VNamespaceCrStatus>;
