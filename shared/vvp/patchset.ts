import fastJsonPatch, { type Operation } from 'fast-json-patch';

const { applyPatch, JsonPatchError } = fastJsonPatch;

/**
 * A Deployment Target's patch set may change what the Deployment runs, not where or as
 * whom: it may touch `/spec/**` except the target and session-cluster references, and the
 * Deployment's `/metadata/labels/**` and `/metadata/annotations/**`. Everything else
 * (`/metadata/namespace`, `/metadata/id`, `/metadata/name`, `/status`, `/kind`, ...) is
 * refused, so a patch can never move a Deployment out of its vNamespace or onto another
 * tenant's target.
 */
const WRITABLE = [/^\/spec\//, /^\/metadata\/labels(\/|$)/, /^\/metadata\/annotations(\/|$)/];
const PROTECTED = [/^\/spec\/deploymentTargetId(\/|$)/, /^\/spec\/deploymentTargetName(\/|$)/, /^\/spec\/sessionClusterName(\/|$)/];

/** Segments that would reach an object's prototype: never valid in a Deployment. */
const HOSTILE_SEGMENT = /(^|\/)(__proto__|constructor|prototype)(\/|$)/;

export function isPatchablePath(path: string): boolean {
  return WRITABLE.some((r) => r.test(path)) && !PROTECTED.some((r) => r.test(path)) && !HOSTILE_SEGMENT.test(path);
}

export interface PatchFailure {
  index: number;
  op: string;
  path: string;
  message: string;
}

export type PatchResult<T> = { ok: true; value: T } | { ok: false; failure: PatchFailure };

export function describeFailure(f: PatchFailure): string {
  return `deploymentPatchSet operation ${f.index} (${f.op} ${f.path}) failed: ${f.message}`;
}

/** Where VVP fills defaults before patching, so that `add .../flinkConfiguration/<key>` has a parent. */
function withDefaults<T extends { spec?: unknown }>(doc: T): T {
  const copy = structuredClone(doc) as { spec?: { template?: { spec?: { flinkConfiguration?: unknown } } } };
  const templateSpec = copy.spec?.template?.spec;
  if (templateSpec && templateSpec.flinkConfiguration === undefined) templateSpec.flinkConfiguration = {};
  return copy as T;
}

const MESSAGES: Record<string, string> = {
  OPERATION_PATH_UNRESOLVABLE: 'the path does not exist in the Deployment',
  OPERATION_FROM_UNRESOLVABLE: 'the "from" path does not exist in the Deployment',
  TEST_OPERATION_FAILED: 'the test did not match',
  OPERATION_VALUE_REQUIRED: 'the operation needs a value',
  OPERATION_OP_INVALID: 'unknown operation',
  OPERATION_PATH_INVALID: 'the path is not a JSON pointer',
  OPERATION_PATH_CANNOT_ADD: 'cannot add at that path',
  OPERATION_PATH_ILLEGAL_ARRAY_INDEX: 'illegal array index',
  OPERATION_VALUE_OUT_OF_BOUNDS: 'array index out of bounds',
};

/**
 * Applies RFC 6902 operations in order to a VVP Deployment object (`{metadata, spec}`).
 * Pure: the input is not modified. The first failing operation fails the whole set.
 */
export function applyPatchSet<T extends { spec?: unknown }>(deployment: T, ops: readonly Operation[]): PatchResult<T> {
  for (const [index, op] of ops.entries()) {
    const paths = 'from' in op ? [op.path, op.from] : [op.path];
    // A `test` only reads, so it may look anywhere.
    if (op.op !== 'test' && paths.some((p) => !isPatchablePath(p))) {
      return {
        ok: false,
        failure: {
          index,
          op: op.op,
          path: op.path,
          message: 'a patch set may only change /spec (except the target) and /metadata/labels or /metadata/annotations',
        },
      };
    }
  }
  try {
    const result = applyPatch(withDefaults(deployment), ops as Operation[], true, false, true);
    return { ok: true, value: result.newDocument };
  } catch (err) {
    // fast-json-patch also throws plain Errors (e.g. a `test` of /__proto__): those fail the set too.
    const index = err instanceof JsonPatchError ? (err.index ?? 0) : 0;
    const op = err instanceof JsonPatchError ? ops[index] : undefined;
    const message = (err instanceof JsonPatchError && MESSAGES[err.name]) || (err as Error).message.split('\n')[0]!;
    return { ok: false, failure: { index, op: op?.op ?? '?', path: op?.path ?? '?', message } };
  }
}
