import { z } from 'zod';
import { describeValue } from './errors.js';
import { dnsLabelProblem, vnsNameProblem } from './naming.js';

/**
 * Building blocks shared by the VVP resources. Objects are strict (an unknown field is
 * refused, naming it) except the free-form Kubernetes parts, which are passed through.
 */

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** A whole number within int32, as the operator's CR schema declares its integers. */
export const int32 = (min = INT32_MIN) =>
  z
    .int32({
      // zod reports a non-number given for an integer as "expected number": say integer.
      error: (iss) =>
        iss.code === 'invalid_type' && iss.input !== undefined ? `expected an integer, got ${describeValue(iss.input)}` : undefined,
    })
    .min(min);

export const Uuid = z.guid({ error: 'must be a UUID' });

/** RFC 3339 timestamps as VVP writes them (`2023-07-14T09:40:41.583995Z`). */
export const DateTime = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 date-time such as 2024-01-31T12:00:00Z' });

export const DnsLabel = z.string().superRefine((s, ctx) => {
  const problem = dnsLabelProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: s });
});

export const VnsName = z.string().superRefine((s, ctx) => {
  const problem = vnsNameProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: `not a valid namespace name: ${problem}`, input: s });
});

/**
 * Name of a Deployment or DeploymentTarget. VVP allows free text ("My Deployment Name",
 * VVP); the Kubernetes name is derived by objectName(). A name is also a path
 * segment (`/deployments/{name}`), hence no '/' and no control characters.
 */
export const ResourceName = z
  .string()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters long')
  // eslint-disable-next-line no-control-regex
  .regex(/^[^/\x00-\x1f\x7f]*$/, 'must not contain "/" or control characters');

export const StringMap = z.record(z.string(), z.string());

/**
 * A string map whose values may be given as YAML numbers or booleans, which are turned into
 * their string form: Flink configuration is text, and `taskmanager.numberOfTaskSlots: 2`
 * in a YAML body is what users write (VVP's Jackson accepts it the same way). Quote a value
 * to keep its exact text (`1.10` as a number becomes "1.1"). Only flinkConfiguration and
 * log4jLoggers use this; labels and annotations must be strings, as in Kubernetes.
 */
export const CoercedStringMap = z.record(
  z.string(),
  z.preprocess((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v), z.string()),
);

/** A free-form Kubernetes object (affinity, securityContext, a volume, ...), passed through unchecked. */
export const KubeObject = z.record(z.string(), z.unknown());
/** Any JSON object, read or passed on without knowing its fields. */
export type Json = z.infer<typeof KubeObject>;

export const Failure = z.strictObject({
  reason: z.string(),
  message: z.string(),
  failedAt: DateTime.optional(),
});

export const Condition = z.strictObject({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: DateTime.optional(),
  lastUpdateTime: DateTime.optional(),
});

/**
 * The VVP metadata an internal custom resource keeps in `spec.metadata` (ARCHITECTURE.md).
 * resourceVersion is not stored: it is the CR's `metadata.generation`.
 */
export const StoredMetadata = z.strictObject({
  id: Uuid,
  name: ResourceName,
  namespace: VnsName,
  displayName: z.string().max(1024).optional(),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  createdAt: DateTime,
  modifiedAt: DateTime,
});

/** Jobs and Savepoints have no user-given name (Sluice may record one: the id). */
export const StoredUnnamedMetadata = StoredMetadata.extend({ name: z.string().optional() });

/** Metadata of an application resource as the REST API shows it. */
export const Metadata = StoredMetadata.extend({ resourceVersion: int32(0) });
export const UnnamedMetadata = StoredUnnamedMetadata.extend({ resourceVersion: int32(0) });

/**
 * Metadata in a POST/PUT body. The user sets name, namespace (must match the path; the API
 * checks), displayName, labels and annotations; resourceVersion guards a PUT against a stale
 * read (409). id, createdAt and modifiedAt are accepted so that a GET → edit → PUT round
 * trip works, but are the server's: the API ignores them (or checks the id).
 */
export const MetadataInput = z.strictObject({
  name: ResourceName,
  namespace: VnsName.optional(),
  displayName: z.string().max(1024).optional(),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  resourceVersion: int32(0).optional(),
  id: Uuid.optional(),
  createdAt: DateTime.optional(),
  modifiedAt: DateTime.optional(),
});

/** The part of VVP metadata its user writes: what a VvpDeployment CR's `userMetadata` syncs. */
export const UserMetadata = MetadataInput.pick({ name: true, namespace: true, displayName: true, labels: true, annotations: true });

/** The `{kind, apiVersion: v1, metadata, spec, status}` envelope of an application resource as the REST API shows it. */
export function appResource<K extends string, M extends z.ZodType, S extends z.ZodType, T extends z.ZodType>(
  kind: K,
  metadata: M,
  spec: S,
  status: T,
) {
  return z.strictObject({
    kind: z.literal(kind),
    apiVersion: z.literal('v1'),
    metadata,
    spec,
    status: status.optional(),
  });
}

/**
 * The same envelope as a request body: kind and apiVersion may be left out but must be
 * right if given; a status (from a GET → PUT round trip) is accepted and ignored.
 */
export function appResourceInput<K extends string, M extends z.ZodType, S extends z.ZodType>(kind: K, metadata: M, spec: S) {
  return z.strictObject({
    kind: z.literal(kind, { error: `must be ${kind}` }).optional(),
    apiVersion: z.literal('v1', { error: 'must be v1' }).optional(),
    metadata,
    spec,
    status: z.unknown().optional(),
  });
}

export type StoredMetadata = z.infer<typeof StoredMetadata>;
export type StoredUnnamedMetadata = z.infer<typeof StoredUnnamedMetadata>;
export type Metadata = z.infer<typeof Metadata>;
export type UnnamedMetadata = z.infer<typeof UnnamedMetadata>;
export type MetadataInput = z.infer<typeof MetadataInput>;
export type UserMetadata = z.infer<typeof UserMetadata>;
export type Condition = z.infer<typeof Condition>;
export type Failure = z.infer<typeof Failure>;
