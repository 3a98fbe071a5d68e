import { z } from 'zod';
import { DateTime, DnsLabel, Failure, ResourceName, StringMap, Uuid, VnsName, int32 } from './common.js';
import { DeploymentTemplate, TemplateSpec } from './deployment.js';

/** One execution of a Deployment: an immutable copy of its effective template. Created only by Sluice. */

export const JOB_STATES = ['STARTING', 'STARTED', 'TERMINATING', 'TERMINATED', 'FAILED', 'FINISHED'] as const;
export const JobState = z.enum(JOB_STATES);

export const JobRestore = z.strictObject({
  /** Absent when restoring from a retained checkpoint (LATEST_STATE) rather than a Savepoint resource. */
  savepointId: Uuid.optional(),
  location: z.string().min(1),
  allowNonRestoredState: z.boolean().optional(),
});

export const JobSpec = z.strictObject({
  deploymentId: Uuid,
  deploymentName: ResourceName,
  deploymentTargetId: Uuid.optional(),
  /** The Kubernetes namespace the job's pods run in. */
  targetNamespace: DnsLabel,
  attempt: int32(1),
  restore: JobRestore.optional(),
  /** The effective template (patch set applied) the job was started with. */
  template: DeploymentTemplate,
  // Sluice's bookkeeping that the deployment step records with every Job: the Deployment's
  // Kubernetes name, the start's sequence number and the template hash it runs.
  deploymentObjectName: z.string().optional(),
  seq: int32(1).optional(),
  specHash: z.string().optional(),
});

/** VVP's JobStatusStarted, as Flink's REST API last reported the job. */
const JobStarted = z.strictObject({
  startedAt: DateTime,
  /** Flink's own job id (its REST API's `jid`). */
  flinkJobId: z.string().optional(),
  /** When Flink's observed state or restart count last changed. */
  lastUpdateTime: DateTime.optional(),
  /** Flink's job state as its REST API last reported it: RUNNING, RESTARTING, FAILING, FAILED, CANCELLING, CANCELED, FINISHED, ... */
  observedFlinkJobStatus: z.string().optional(),
  observedFlinkJobRestarts: int32(0).optional(),
});

/** Sluice's addition: ready pods of those expected (JobManager + TaskManagers), and why one cannot be scheduled. */
const JobPods = z.strictObject({
  ready: int32(0),
  expected: int32(0),
  /** The scheduler's word on a pod it cannot place (not a failure: capacity may come). */
  unschedulable: z.string().optional(),
});

export const JobStatus = z.strictObject({
  state: JobState,
  started: JobStarted.optional(),
  failure: Failure.optional(),
  pods: JobPods.optional(),
  /** When it reached TERMINATED, FAILED or FINISHED: shown as VVP's metadata.terminatedAt. */
  terminatedAt: DateTime.optional(),
});

/**
 * A Job as VVP's API shows it: its Deployment in metadata, the template it runs flattened
 * into spec, with the restore location and the Kubernetes namespace as VVP names them.
 * Stored as FlinkJobCrBody (cr.ts); shared/vvp/views.ts maps one to the other.
 */
export const Job = z.strictObject({
  kind: z.literal('Job'),
  apiVersion: z.literal('v1'),
  metadata: z.strictObject({
    id: Uuid,
    namespace: VnsName,
    createdAt: DateTime,
    modifiedAt: DateTime,
    deploymentId: Uuid,
    deploymentName: ResourceName,
    terminatedAt: DateTime.optional(),
    annotations: StringMap.optional(),
    resourceVersion: int32(0),
  }),
  spec: TemplateSpec.extend({
    savepointLocation: z.string().optional(),
    allowNonRestoredState: z.boolean().optional(),
    deploymentTarget: z.strictObject({ kubernetes: z.strictObject({ namespace: DnsLabel }) }),
  }),
  status: z
    .strictObject({
      state: JobState,
      started: JobStarted.optional(),
      failure: Failure.optional(),
      pods: JobPods.optional(),
    })
    .partial()
    .optional(),
});

export type JobState = z.infer<typeof JobState>;
export type JobRestore = z.infer<typeof JobRestore>;
export type JobSpec = z.infer<typeof JobSpec>;
export type JobStatus = z.infer<typeof JobStatus>;
export type Job = z.infer<typeof Job>;
