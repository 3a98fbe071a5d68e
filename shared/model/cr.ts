import type { V1ObjectMeta } from '@kubernetes/client-node';
import { z } from 'zod';
import { StoredMetadata, StoredUnnamedMetadata, StringMap, Uuid, int32 } from './common.js';
import { DeploymentSpecFields, DeploymentSpec, DeploymentStatus } from './deployment.js';
import { JobRestore, JobSpec, JobStatus } from './job.js';
import { VNamespaceCrSpec, VNamespaceCrStatus } from './namespace.js';
import { SavepointSpec, SavepointStatus } from './savepoint.js';
import { DeploymentTargetSpec, DeploymentTargetStatus } from './target.js';

/**
 * The internal custom resources as stored (ARCHITECTURE.md, "Storage of VVP resources"):
 * `spec: {metadata: <VVP metadata>, spec: <VVP spec>}`, `status: <VVP status> + sluice`,
 * where `sluice` is Sluice's own bookkeeping that the REST API never shows. These bodies
 * generate the CRD schemas and type every read and write of the functions.
 */

/**
 * Schemas that type the code but stay free-form in the CRDs (`x-kubernetes-preserve-unknown-fields`):
 * the bookkeeping is Sluice's alone, so a new field needs no CRD change and nothing is pruned.
 */
export const freeFormInCrd = z.registry();

/** `status.sluice` with the given fields, every one optional (written step by step). */
const bookkeeping = <T extends z.ZodRawShape>(shape: T) => {
  const schema = z.strictObject(shape).partial();
  freeFormInCrd.add(schema);
  return schema;
};

export function crBody<M extends z.ZodType, S extends z.ZodType, T extends z.ZodRawShape, B extends z.ZodType>(
  metadata: M,
  spec: S,
  status: z.ZodObject<T, z.core.$strict>,
  sluice: B,
) {
  return z.object({
    spec: z.strictObject({ metadata, spec }),
    // Every status field is optional in storage: Sluice writes status in steps (the effective
    // spec before any state), and a required field would make the API server refuse those writes.
    status: status.partial().extend({ sluice: sluice.optional() }).optional(),
  });
}

/** What applyPatchSet recorded for one generation of a Deployment. */
export const EffectiveSpec = z.strictObject({
  generation: int32(0),
  /** The spec with the target's patch set applied (and the blob storage's directories). */
  spec: DeploymentSpecFields.optional(),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  targetId: Uuid.optional(),
  targetNamespace: z.string().optional(),
  /** Set instead of `spec` when the patch set (or target lookup) failed. */
  error: z.string().optional(),
});

/** The job the deployment step started last for a Deployment. */
export const CurrentJob = z.strictObject({
  id: Uuid,
  /** 1 for a Deployment's first job, +1 for each later one: makes job ids deterministic. */
  seq: int32(1),
  /** 1 for the first try of this start, +1 for each retry after a failure. */
  attempt: int32(1),
  /** Hash of the effective spec the job runs: a change means an upgrade. */
  specHash: z.string(),
  /** What the job restores from, chosen by the restore strategy when the start was decided. */
  restore: JobRestore.optional(),
  /** The Deployment's generation when Flink ended the job on its own (a cancel in Flink): a newer one starts anew. */
  endedAtGeneration: int32(0).optional(),
});

export const DeploymentBookkeeping = bookkeeping({ effective: EffectiveSpec, job: CurrentJob, jobSeq: int32(0) });

export const JobBookkeeping = bookkeeping({
  /** The job's Kubernetes objects were deleted after it ended (it keeps its state). */
  resourcesDeleted: z.boolean(),
});

/** One stop-with-savepoint request to Flink: attempt `attempt`, answered with trigger id `id`. */
export const SavepointTrigger = z.strictObject({
  attempt: int32(1),
  id: z.string(),
  /** When it was triggered (ISO time): an attempt older than its timeout has failed. */
  at: z.string(),
});

/** How Sluice takes a savepoint it started. */
export const SavepointBookkeeping = bookkeeping({
  /** The attempt under way, 1-based; at most maxSavepointCreationAttempts. */
  attempt: int32(1),
  trigger: SavepointTrigger,
  failures: z.array(z.strictObject({ attempt: int32(1), reason: z.string(), message: z.string(), at: z.string() })),
});

/** What onDeploymentTargetCreate set up for a target, to undo it when the target goes. */
export const TargetBookkeeping = bookkeeping({
  observedGeneration: int32(0),
  namespace: z.string(),
  bindings: z.array(z.string()),
});

/** A vNamespace keeps no bookkeeping. */
export const VNamespaceBookkeeping = bookkeeping({});

export const FlinkDeploymentCrBody = crBody(StoredMetadata, DeploymentSpec, DeploymentStatus, DeploymentBookkeeping);
export const FlinkJobCrBody = crBody(StoredUnnamedMetadata, JobSpec, JobStatus, JobBookkeeping);
export const SavepointCrBody = crBody(StoredUnnamedMetadata, SavepointSpec, SavepointStatus, SavepointBookkeeping);
export const DeploymentTargetCrBody = crBody(StoredMetadata, DeploymentTargetSpec, DeploymentTargetStatus, TargetBookkeeping);
export const VNamespaceCrBody = z.object({
  spec: VNamespaceCrSpec,
  status: VNamespaceCrStatus.extend({ sluice: VNamespaceBookkeeping.optional() }).optional(),
});

/**
 * A custom object's metadata as the API server sends it: its times are RFC 3339 strings
 * (client-node's V1ObjectMeta says Date, which only its typed APIs turn them into).
 */
export type CrMetadata = Omit<V1ObjectMeta, 'creationTimestamp' | 'deletionTimestamp'> & {
  name: string;
  namespace: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
};

/** A custom resource as read from the API server: Kubernetes envelope plus a body. */
export type Cr<Body> = { apiVersion?: string; kind?: string; metadata: CrMetadata } & Body;

/** An application resource's CR, whatever its spec and status. */
export type AppCr<Spec, Status, Meta = StoredMetadata> = Cr<{ spec: { metadata: Meta; spec: Spec }; status?: Status }>;

export type EffectiveSpec = z.infer<typeof EffectiveSpec>;
export type CurrentJob = z.infer<typeof CurrentJob>;
export type DeploymentBookkeeping = z.infer<typeof DeploymentBookkeeping>;
export type JobBookkeeping = z.infer<typeof JobBookkeeping>;
export type SavepointTrigger = z.infer<typeof SavepointTrigger>;
export type SavepointBookkeeping = z.infer<typeof SavepointBookkeeping>;
export type TargetBookkeeping = z.infer<typeof TargetBookkeeping>;
export type FlinkDeploymentCrBody = z.infer<typeof FlinkDeploymentCrBody>;
export type FlinkJobCrBody = z.infer<typeof FlinkJobCrBody>;
export type SavepointCrBody = z.infer<typeof SavepointCrBody>;
export type DeploymentTargetCrBody = z.infer<typeof DeploymentTargetCrBody>;
export type VNamespaceCrBody = z.infer<typeof VNamespaceCrBody>;

export type DeploymentResource = Cr<FlinkDeploymentCrBody>;
export type JobResource = Cr<FlinkJobCrBody>;
export type SavepointResource = Cr<SavepointCrBody>;
export type TargetResource = Cr<DeploymentTargetCrBody>;
export type NamespaceResource = Cr<VNamespaceCrBody>;

/** A resource's status as stored: its VVP status, every field optional, and its bookkeeping. */
export type DeploymentCrStatus = NonNullable<DeploymentResource['status']>;
export type JobCrStatus = NonNullable<JobResource['status']>;
export type SavepointCrStatus = NonNullable<SavepointResource['status']>;
export type TargetCrStatus = NonNullable<TargetResource['status']>;
