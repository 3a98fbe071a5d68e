import type {
  AppCr,
  DeploymentResource,
  DeploymentSpec,
  DeploymentState,
  JobResource,
  SavepointResource,
  StoredMetadata,
  StoredUnnamedMetadata,
} from '../model/index.js';
import { BUILTIN_DEPLOYMENT_DEFAULTS, withDefaults } from './defaults.js';
import { flinkJobId } from './flink-resources.js';

/** What every VVP object's metadata carries: its id, vNamespace and times, and VVP's integer resourceVersion (the CR's generation). */
function stamp(cr: AppCr<unknown, unknown, StoredUnnamedMetadata>) {
  const m = cr.spec.metadata;
  return {
    id: m.id,
    namespace: m.namespace,
    createdAt: m.createdAt,
    modifiedAt: m.modifiedAt,
    resourceVersion: cr.metadata.generation ?? 1,
  };
}

/**
 * The VVP object a custom resource stands for, as the REST API shows it: `kind`,
 * `apiVersion: v1`, metadata (with VVP's integer resourceVersion, which is the CR's
 * generation), spec, and the status without Sluice's own bookkeeping.
 */
export function toVvp<S, St>(cr: AppCr<S, St>, kind: string) {
  const { sluice: _internal, ...status } = (cr.status ?? {}) as St & { sluice?: unknown };
  const m = cr.spec.metadata;
  const metadata: StoredMetadata & { resourceVersion: number } = {
    ...stamp(cr),
    name: m.name,
    ...(m.displayName !== undefined ? { displayName: m.displayName } : {}),
    labels: m.labels ?? {},
    annotations: m.annotations ?? {},
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
  const spec = withDefaults(v.spec, BUILTIN_DEPLOYMENT_DEFAULTS) as DeploymentSpec;
  return { ...v, spec, status: { ...v.status, state: v.status.state ?? initialState(d) } };
}

/**
 * A Savepoint as VVP shows it: owners and origin in metadata, the location and Flink's id in
 * spec (stored in the CR's spec, where Sluice's steps read them).
 */
export function savepointView(sp: SavepointResource) {
  const { sluice: _internal, ...status } = sp.status ?? {};
  const m = sp.spec.metadata;
  const s = sp.spec.spec;
  return {
    kind: 'Savepoint' as const,
    apiVersion: 'v1' as const,
    metadata: {
      ...stamp(sp),
      ...(s.deploymentId ? { deploymentId: s.deploymentId } : {}),
      ...(s.jobId ? { jobId: s.jobId } : {}),
      origin: s.savepointOrigin,
      annotations: m.annotations ?? {},
    },
    spec: { savepointLocation: s.savepointLocation, ...(s.flinkSavepointId !== undefined ? { flinkSavepointId: s.flinkSavepointId } : {}) },
    // A Savepoint Sluice has not yet moved on is STARTED.
    status: { ...status, state: status.state ?? 'STARTED' },
  };
}

/**
 * A Job as VVP shows it: its Deployment and end in metadata, the template it runs flattened
 * into spec with the restore location (`savepointLocation`, `allowNonRestoredState`) and the
 * Kubernetes namespace (`deploymentTarget.kubernetes.namespace`), and Flink's job id once started.
 */
export function jobView(job: JobResource) {
  const {
    sluice: _internal,
    terminatedAt,
    started,
    ...status
  } = (job.status ?? {}) as NonNullable<JobResource['status']> & { sluice?: unknown };
  const m = job.spec.metadata;
  const s = job.spec.spec;
  return {
    kind: 'Job' as const,
    apiVersion: 'v1' as const,
    metadata: {
      ...stamp(job),
      deploymentId: s.deploymentId,
      deploymentName: s.deploymentName,
      ...(terminatedAt ? { terminatedAt } : {}),
      annotations: (s.template.metadata?.annotations as Record<string, string> | undefined) ?? {},
    },
    spec: {
      ...s.template.spec,
      ...(s.restore ? { savepointLocation: s.restore.location, allowNonRestoredState: s.restore.allowNonRestoredState ?? false } : {}),
      deploymentTarget: { kubernetes: { namespace: s.targetNamespace } },
    },
    status: { ...status, ...(started ? { started: { ...started, flinkJobId: flinkJobId(m.id) } } : {}) },
  };
}
