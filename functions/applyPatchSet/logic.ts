import type { Operation } from 'fast-json-patch';
import type { DeploymentResource, EffectiveSpec, TargetResource } from '../../shared/model/index.js';
import { withBlobStorage } from '../../shared/vvp/blob-storage.js';
import { applyPatchSet, describeFailure } from '../../shared/vvp/patchset.js';

/** Whether the Deployment's generation has its effective spec recorded (its own status writes keep the generation). */
export const hasEffectiveSpec = (d: DeploymentResource): boolean => d.status?.sluice?.effective?.generation === d.metadata.generation;

/**
 * The effective spec of one Deployment generation: its spec with the target's patch set
 * applied and the blob storage's state directories wherever it sets none (`blobStorage`, the
 * base URI), or the reason there is none. Pure.
 */
export function effectiveSpec(
  d: DeploymentResource,
  target: TargetResource | undefined,
  platformNamespace: string,
  blobStorage?: string,
): EffectiveSpec {
  const generation = d.metadata.generation ?? 0;
  const spec = d.spec.spec;
  if (!target) {
    const ref = spec.deploymentTargetName ?? spec.deploymentTargetId;
    return {
      generation,
      error: ref
        ? `deployment target ${ref} does not exist in namespace ${d.spec.metadata.namespace}`
        : 'the deployment names no deployment target',
    };
  }
  const vvp = { metadata: { labels: d.spec.metadata.labels ?? {}, annotations: d.spec.metadata.annotations ?? {} }, spec };
  const result = applyPatchSet(vvp, (target.spec.spec.deploymentPatchSet ?? []) as Operation[]);
  if (!result.ok) return { generation, targetId: target.spec.metadata.id, error: describeFailure(result.failure) };
  return {
    generation,
    spec: withBlobStorage(result.value.spec, blobStorage, d.spec.metadata.namespace, d.spec.metadata.id),
    labels: result.value.metadata.labels,
    annotations: result.value.metadata.annotations,
    targetId: target.spec.metadata.id,
    targetNamespace: target.spec.spec.kubernetes?.namespace ?? platformNamespace,
  };
}
