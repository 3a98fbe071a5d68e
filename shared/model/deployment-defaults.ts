import { z } from 'zod';
import { DateTime, KubeObject, StringMap, Uuid, VnsName, int32 } from './common.js';

/**
 * VVP's DeploymentDefaults of a vNamespace: a partial Deployment spec merged under every new
 * Deployment's own. Its spec is checked by merging it onto a minimal Deployment (every field
 * it sets must be valid there), so here it is free-form.
 */
export const DeploymentDefaultsMetadata = z.strictObject({
  id: Uuid,
  name: z.string(),
  namespace: VnsName,
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  createdAt: DateTime,
  modifiedAt: DateTime,
  resourceVersion: int32(0),
});

export const DeploymentDefaults = z.strictObject({
  kind: z.literal('DeploymentDefaults'),
  apiVersion: z.literal('v1'),
  metadata: DeploymentDefaultsMetadata,
  spec: KubeObject,
});

/** PATCH body: a JSON merge patch of {metadata, spec}; the server's metadata fields are accepted (GET → PATCH) and ignored unless stale. */
export const DeploymentDefaultsInput = z.strictObject({
  kind: z.literal('DeploymentDefaults', { error: 'must be DeploymentDefaults' }).optional(),
  apiVersion: z.literal('v1', { error: 'must be v1' }).optional(),
  metadata: DeploymentDefaultsMetadata.partial().optional(),
  spec: KubeObject.nullable().optional(),
});

export type DeploymentDefaults = z.infer<typeof DeploymentDefaults>;
export type DeploymentDefaultsInput = z.infer<typeof DeploymentDefaultsInput>;
