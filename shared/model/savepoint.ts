import { z } from 'zod';
import { DateTime, Failure, StringMap, Uuid, VnsName, int32 } from './common.js';

export const SAVEPOINT_ORIGINS = ['USER_REQUEST', 'SUSPEND', 'SUSPEND_AND_UPGRADE', 'COPIED', 'RETAINED_CHECKPOINT'] as const;
export const SAVEPOINT_STATES = ['STARTED', 'COMPLETED', 'FAILED'] as const;
export const SavepointOrigin = z.enum(SAVEPOINT_ORIGINS);
export const SavepointState = z.enum(SAVEPOINT_STATES);

/** Where a savepoint is: any URI or path Flink can read (s3://..., hdfs://..., file:///...). */
export const SavepointLocation = z.string().trim().min(1, 'must not be empty');

export const SavepointSpec = z.strictObject({
  savepointLocation: SavepointLocation,
  flinkSavepointId: z.string().optional(),
  deploymentId: Uuid.optional(),
  jobId: Uuid.optional(),
  savepointOrigin: SavepointOrigin,
});

export const SavepointStatus = z.strictObject({
  state: SavepointState,
  failure: Failure.optional(),
});

/**
 * A Savepoint as VVP's API shows it: what it belongs to and where it came from are metadata
 * (`deploymentId`, `jobId`, `origin`); the spec is only the location and Flink's id. Stored
 * as SavepointCrBody (cr.ts; origin and owners in the spec); shared/vvp/views.ts maps between them.
 */
export const SavepointMetadata = z.strictObject({
  id: Uuid,
  namespace: VnsName,
  createdAt: DateTime,
  modifiedAt: DateTime,
  deploymentId: Uuid.optional(),
  jobId: Uuid.optional(),
  origin: SavepointOrigin,
  annotations: StringMap.optional(),
  resourceVersion: int32(0),
});

export const Savepoint = z.strictObject({
  kind: z.literal('Savepoint'),
  apiVersion: z.literal('v1'),
  metadata: SavepointMetadata,
  spec: z.strictObject({ savepointLocation: SavepointLocation.optional(), flinkSavepointId: z.string().optional() }),
  status: SavepointStatus.partial().optional(),
});

/**
 * POST body, VVP's: `metadata.deploymentId` alone asks for a savepoint of the Deployment's
 * running job (origin USER_REQUEST); a `spec.savepointLocation` records a savepoint that
 * exists already (origin COPIED unless given), e.g. to restore a Deployment from it. The
 * server's own fields of a GET answer (id, times, resourceVersion, status) are accepted and ignored.
 */
export const SavepointInput = z.strictObject({
  kind: z.literal('Savepoint', { error: 'must be Savepoint' }).optional(),
  apiVersion: z.literal('v1', { error: 'must be v1' }).optional(),
  metadata: z
    .strictObject({
      namespace: VnsName.optional(),
      deploymentId: Uuid.optional(),
      jobId: Uuid.optional(),
      origin: SavepointOrigin.optional(),
      annotations: StringMap.optional(),
      id: Uuid.optional(),
      createdAt: DateTime.optional(),
      modifiedAt: DateTime.optional(),
      resourceVersion: int32(0).optional(),
    })
    .optional(),
  spec: z
    .strictObject({
      savepointLocation: SavepointLocation.optional(),
      flinkSavepointId: z.string().optional(),
    })
    .optional(),
  status: z.unknown().optional(),
});

export type SavepointOrigin = z.infer<typeof SavepointOrigin>;
export type SavepointState = z.infer<typeof SavepointState>;
export type SavepointSpec = z.infer<typeof SavepointSpec>;
export type SavepointStatus = z.infer<typeof SavepointStatus>;
export type Savepoint = z.infer<typeof Savepoint>;
export type SavepointInput = z.infer<typeof SavepointInput>;
