import { JOB_RESOURCES_FINALIZER } from '../../shared/model/naming.js';
import type { DeploymentResource, DeploymentSpec, JobResource, TargetResource } from '../../shared/model/index.js';
import { topSpeedWindowingBody } from '../support/top-speed-windowing.js';

/** VVP's TopSpeedWindowing example deployment as Sluice stores it, with the finalizer its jobs need. */
export function deployment(overrides: Partial<DeploymentSpec> = {}, generation = 1): DeploymentResource {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'FlinkDeployment',
    metadata: {
      name: 'vvp-namespace-1.topspeedwindowing-1a2b3c4d',
      namespace: 'sluice-system',
      uid: 'uid-1',
      generation,
      resourceVersion: '10',
      finalizers: [JOB_RESOURCES_FINALIZER],
    },
    spec: {
      metadata: {
        id: '0b7e4f8e-6b38-4c36-9d46-6f0c1c5b2a11',
        name: 'TopSpeedWindowing',
        namespace: 'vvp-namespace-1',
        createdAt: '2026-11-21T00:00:00Z',
        modifiedAt: '2026-11-21T00:00:00Z',
      },
      spec: {
        ...topSpeedWindowingBody('vvp-namespace-1', 'TopSpeedWindowing', 'f3d8f7f2-5f0e-4a4f-8d6e-2d6c7f1a9b01').spec,
        ...overrides,
      },
    },
  };
}

/** The deployment after applyPatchSet recorded its effective spec for the current generation. */
export function withEffective(d: DeploymentResource, targetNamespace = 'vvp-jobs-team-1'): DeploymentResource {
  return {
    ...d,
    status: {
      ...d.status,
      sluice: {
        ...d.status?.sluice,
        effective: {
          generation: d.metadata.generation!,
          spec: structuredClone(d.spec.spec),
          targetId: d.spec.spec.deploymentTargetId!,
          targetNamespace,
        },
      },
    },
  };
}

export function target(patchSet: TargetResource['spec']['spec']['deploymentPatchSet'] = []): TargetResource {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'DeploymentTarget',
    metadata: { name: 'vvp-namespace-1.vvp-jobs-team-1-00000000', namespace: 'sluice-system', generation: 1 },
    spec: {
      metadata: {
        id: 'f3d8f7f2-5f0e-4a4f-8d6e-2d6c7f1a9b01',
        name: 'vvp-jobs-team-1',
        namespace: 'vvp-namespace-1',
        createdAt: '',
        modifiedAt: '',
      },
      spec: { kubernetes: { namespace: 'vvp-jobs-team-1' }, deploymentPatchSet: patchSet },
    },
  };
}

export function jobOf(
  d: DeploymentResource,
  state?: JobResource['status'] extends infer S ? (S extends { state?: infer X } ? X : never) : never,
): JobResource {
  const current = d.status!.sluice!.job!;
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'FlinkJob',
    metadata: { name: `vvp-namespace-1.${current.id}`, namespace: 'sluice-system', resourceVersion: '5' },
    spec: {
      metadata: { id: current.id, name: current.id, namespace: 'vvp-namespace-1', createdAt: '', modifiedAt: '' },
      spec: {
        deploymentId: d.spec.metadata.id,
        deploymentName: d.spec.metadata.name,
        deploymentObjectName: d.metadata.name,
        targetNamespace: 'vvp-jobs-team-1',
        seq: current.seq,
        attempt: current.attempt,
        specHash: current.specHash,
        template: structuredClone(d.spec.spec.template),
      },
    },
    ...(state ? { status: { state } } : {}),
  };
}
