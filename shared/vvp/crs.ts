import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';

/**
 * The internal custom resources as the functions read and write them (ARCHITECTURE.md,
 * "Storage of VVP resources"). `spec` holds the VVP object's user-facing parts; `status`
 * the VVP status plus `sluice`, Sluice's own bookkeeping that the REST API never shows.
 */
export interface VvpMetadata {
  id: string;
  name: string;
  namespace: string;
  displayName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  createdAt: string;
  modifiedAt: string;
}

export type Json = Record<string, unknown>;

export interface AppResource<Spec, Status> extends KubernetesObject {
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: { metadata: VvpMetadata; spec: Spec };
  status?: Status;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

export type DesiredState = 'RUNNING' | 'SUSPENDED' | 'CANCELLED';
export type DeploymentState = DesiredState | 'TRANSITIONING' | 'FAILED' | 'FINISHED';
export type JobState = 'STARTING' | 'STARTED' | 'TERMINATING' | 'TERMINATED' | 'FAILED' | 'FINISHED';

export interface DeploymentSpecLike extends Json {
  state: DesiredState;
  deploymentTargetId?: string;
  deploymentTargetName?: string;
  maxJobCreationAttempts?: number;
  maxSavepointCreationAttempts?: number;
  upgradeStrategy?: { kind?: string };
  restoreStrategy?: { kind?: string; allowNonRestoredState?: boolean };
  template: { metadata?: Json; spec: TemplateSpec };
}

export interface TemplateSpec extends Json {
  artifact: Json & { kind: string };
  parallelism?: number;
  numberOfTaskManagers?: number;
  resources?: Record<string, { cpu?: number; memory?: string }>;
  flinkConfiguration?: Record<string, string>;
  kubernetes?: Json;
  logging?: Json;
}

/** What applyPatchSet recorded for one generation of a Deployment. */
export interface EffectiveSpec {
  generation: number;
  spec?: DeploymentSpecLike;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  targetId?: string;
  targetNamespace?: string;
  /** Set instead of `spec` when the patch set (or target lookup) failed. */
  error?: string;
}

export interface CurrentJob {
  id: string;
  /** 1 for a Deployment's first job, +1 for each later one: makes job ids deterministic. */
  seq: number;
  /** 1 for the first try of this start, +1 for each retry after a failure. */
  attempt: number;
  /** Hash of the effective spec the job runs: a change means an upgrade. */
  specHash: string;
  /** What the job restores from, chosen by the restore strategy when the start was decided. */
  restore?: JobRestoreLike;
  /** The Deployment's generation when Flink ended the job on its own (a cancel in Flink): a newer one starts anew. */
  endedAtGeneration?: number;
}

export interface DeploymentBookkeeping {
  effective?: EffectiveSpec;
  job?: CurrentJob;
  jobSeq?: number;
}

export interface DeploymentStatusLike {
  state?: DeploymentState;
  running?: { jobId?: string; transitionTime?: string; conditions?: Condition[] };
  failure?: { reason?: string; message?: string; failedAt?: string };
  sluice?: DeploymentBookkeeping;
}

export type DeploymentResource = AppResource<DeploymentSpecLike, DeploymentStatusLike>;

export interface JobSpecLike {
  deploymentId: string;
  deploymentName: string;
  deploymentObjectName: string;
  deploymentTargetId?: string;
  targetNamespace: string;
  seq: number;
  attempt: number;
  specHash: string;
  template: { metadata?: Json; spec: TemplateSpec };
  restore?: JobRestoreLike;
}

export interface JobRestoreLike {
  savepointId?: string;
  location: string;
  allowNonRestoredState?: boolean;
}

export interface JobStatusLike {
  state?: JobState;
  started?: {
    startedAt: string;
    flinkJobId?: string;
    /** When Flink's observed state or restart count last changed. */
    lastUpdateTime?: string;
    /** Flink's own job state (JobStatus: RUNNING, RESTARTING, FAILED, CANCELED, ...), as its REST API last reported it. */
    observedFlinkJobStatus?: string;
    observedFlinkJobRestarts?: number;
  };
  failure?: { reason: string; message: string; failedAt: string };
  pods?: { ready: number; expected: number; unschedulable?: string };
  /** When it reached TERMINATED, FAILED or FINISHED (VVP's metadata.terminatedAt). */
  terminatedAt?: string;
  sluice?: { resourcesDeleted?: boolean };
}

export type JobResource = AppResource<JobSpecLike, JobStatusLike>;

export interface TargetSpecLike {
  kubernetes?: { namespace?: string };
  deploymentPatchSet?: { op: string; path: string; value?: unknown; from?: string }[];
}

export interface TargetStatusLike {
  state?: 'READY' | 'NOT_READY';
  conditions?: Condition[];
  sluice?: { observedGeneration?: number; namespace?: string; bindings?: string[] };
}

export type TargetResource = AppResource<TargetSpecLike, TargetStatusLike>;

export type SavepointOrigin = 'USER_REQUEST' | 'SUSPEND' | 'SUSPEND_AND_UPGRADE' | 'COPIED' | 'RETAINED_CHECKPOINT';
export type SavepointState = 'STARTED' | 'COMPLETED' | 'FAILED';

export interface SavepointSpecLike {
  /** While STARTED: the directory the savepoint is being written to; once COMPLETED: its location. */
  savepointLocation: string;
  flinkSavepointId?: string;
  deploymentId?: string;
  jobId?: string;
  savepointOrigin: SavepointOrigin;
}

/** One stop-with-savepoint request to Flink: attempt `attempt`, answered with trigger id `id`. */
export interface SavepointTrigger {
  attempt: number;
  id: string;
  /** When it was triggered (ISO time): an attempt older than its timeout has failed. */
  at: string;
}

/** How Sluice takes a savepoint it started (never shown by the REST API). */
export interface SavepointBookkeeping {
  /** The attempt under way, 1-based; at most maxSavepointCreationAttempts. */
  attempt?: number;
  trigger?: SavepointTrigger;
  failures?: { attempt: number; reason: string; message: string; at: string }[];
}

export interface SavepointStatusLike {
  state?: SavepointState;
  failure?: { reason: string; message: string; failedAt?: string };
  sluice?: SavepointBookkeeping;
}

export type SavepointResource = AppResource<SavepointSpecLike, SavepointStatusLike>;
