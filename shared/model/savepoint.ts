import { z } from 'zod';
import { Failure, StoredUnnamedMetadata, StringMap, UnnamedMetadata, Uuid, VnsName, appResource } from './common.js';
import { crBody } from './cr.js';

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

export const Savepoint = appResource('Savepoint', UnnamedMetadata, SavepointSpec, SavepointStatus);

/**
 * POST body: importing a savepoint location, e.g. to restore a Deployment from it.
 * The origin defaults to what the API decides (an import is recorded as COPIED unless given).
 */
export const SavepointInput = z.strictObject({
  kind: z.literal('Savepoint', { error: 'must be Savepoint' }).optional(),
  apiVersion: z.literal('v1', { error: 'must be v1' }).optional(),
  metadata: z
    .strictObject({
      namespace: VnsName.optional(),
      annotations: StringMap.optional(),
      labels: StringMap.optional(),
    })
    .optional(),
  spec: z.strictObject({
    savepointLocation: SavepointLocation,
    flinkSavepointId: z.string().optional(),
    deploymentId: Uuid.optional(),
    jobId: Uuid.optional(),
    savepointOrigin: SavepointOrigin.optional(),
  }),
  status: z.unknown().optional(),
});

export const SavepointCrBody = crBody(StoredUnnamedMetadata, SavepointSpec, SavepointStatus);

export type SavepointOrigin = z.infer<typeof SavepointOrigin>;
export type SavepointState = z.infer<typeof SavepointState>;
export type SavepointSpec = z.infer<typeof SavepointSpec>;
export type SavepointStatus = z.infer<typeof SavepointStatus>;
export type Savepoint = z.infer<typeof Savepoint>;
export type SavepointInput = z.infer<typeof SavepointInput>;
export type SavepointCrBody = z.infer<typeof SavepointCrBody>;
