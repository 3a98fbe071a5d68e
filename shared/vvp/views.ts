import type { AppResource, DeploymentResource, DeploymentSpecLike, DeploymentState, Json, VvpMetadata } from './crs.js';
import { BUILTIN_DEPLOYMENT_DEFAULTS, withDefaults } from './defaults.js';

/**
 * The VVP object a custom resource stands for, as the REST API shows it: `kind`,
 * `apiVersion: v1`, metadata (with VVP's integer resourceVersion, which is the CR's
 * generation), spec, and the status without Sluice's own bookkeeping.
 */
export function toVvp<S, St>(cr: AppResource<S, St>, kind: string) {
  const { sluice: _internal, ...status } = (cr.status ?? {}) as St & { sluice?: unknown };
  const m = cr.spec.metadata;
  const metadata: VvpMetadata & { resourceVersion: number } = {
    id: m.id,
    name: m.name,
    namespace: m.namespace,
    ...(m.displayName !== undefined ? { displayName: m.displayName } : {}),
    labels: m.labels ?? {},
    annotations: m.annotations ?? {},
    createdAt: m.createdAt,
    modifiedAt: m.modifiedAt,
    resourceVersion: cr.metadata.generation ?? 1,
  };
  return { kind, apiVersion: 'v1' as const, metadata, spec: cr.spec.spec, status };
}

/**
 * A Deployment's state before deploymentStep has reported one (e.g. in the answer to its
 * creation): what the step will report first. RUNNING starts a job, so TRANSITIONING; a
 * Deployment created SUSPENDED or CANCELLED has nothing to stop and is at once what it asks.
 */
export function initialState(d: DeploymentResource): DeploymentState {
  return d.spec.spec.state === 'RUNNING' ? 'TRANSITIONING' : d.spec.spec.state;
}

/**
 * A Deployment as VVP shows it: the fields left unset with the values Sluice runs it with
 * (VVP's defaults), and a status.state from the start. Storage keeps only what was given,
 * so a target's patch set and a VvpDeployment CR see the user's own spec.
 */
export function deploymentView(d: DeploymentResource) {
  const v = toVvp(d, 'Deployment');
  const spec = withDefaults(v.spec, BUILTIN_DEPLOYMENT_DEFAULTS as unknown as Json) as DeploymentSpecLike;
  return { ...v, spec, status: { ...v.status, state: v.status.state ?? initialState(d) } };
}
