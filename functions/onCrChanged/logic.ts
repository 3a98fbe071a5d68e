import { DeploymentSpec, UserMetadata, check, vnsNameProblem } from '../../shared/model/index.js';
import {
  ANNOTATIONS,
  type CrDeployment,
  type CrRef,
  type CustomResourceState,
  type DeploymentSystemMetadata,
  type InitialSavepoint,
  PLATFORM_ANNOTATIONS,
  USER_METADATA_KEYS,
  type VvpDeploymentCr,
  type VvpDeploymentStatus,
  managedByValue,
  parseManagedBy,
  sameRef,
} from '../../shared/operator/cr.js';
import { type ConditionInput, withConditions } from '../../shared/vvp/conditions.js';
import type { DeploymentResource, Json } from '../../shared/model/index.js';
import { stableHash } from '../../shared/vvp/ids.js';
import { nestingProblem } from '../../shared/vvp/input.js';
import { mergePatch } from '../../shared/vvp/merge.js';
import { toVvp } from '../../shared/vvp/views.js';

/**
 * The operator's decisions for one VvpDeployment CR, pure: which Deployment it
 * names, whether and how its spec is synced (`decideSync`: create / PATCH / PUT / nothing /
 * refused / held), what is written back into the CR's spec, and the CR's status. The shell
 * (index.ts) reads the CR and the Deployment, calls these, and carries out the writes through Platform.
 */

export type SyncingMode = 'PATCH' | 'PUT';

/** A Deployment's user-facing content, as a POST/PATCH/PUT body takes it (from a CR: not yet validated). */
export interface DeploymentBody {
  metadata: Partial<UserMetadata>;
  spec: Json;
}

export const SYNCED = 'Synced';
export const DEPLOYMENT_FAILED = 'DeploymentFailed';

const refusal = (reason: string, message: string): ConditionInput => ({ type: SYNCED, status: 'False', reason, message });

export const syncingModeOf = (cr: VvpDeploymentCr): SyncingMode => cr.spec.syncingMode ?? 'PATCH';

/** Only the keys VVP's operator keeps (name, namespace, displayName, labels, annotations). */
export function pickUserMetadata(meta: unknown): Partial<UserMetadata> {
  const m = (meta && typeof meta === 'object' ? meta : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of USER_METADATA_KEYS) if (m[key] !== undefined) out[key] = m[key];
  return out as Partial<UserMetadata>;
}

export type Identity = { ok: true; vns: string; name: string } | { ok: false; condition: ConditionInput };

/** The Deployment a CR names: `spec.deployment.userMetadata.namespace` + `.name`. */
export function identify(cr: VvpDeploymentCr): Identity {
  const meta = cr.spec?.deployment?.userMetadata ?? {};
  const { name, namespace } = meta;
  const missing = (field: string) =>
    refusal(
      'InvalidSpec',
      `spec.deployment.userMetadata.${field}: required: userMetadata.namespace and userMetadata.name identify the Deployment (namespace "default" is the default vNamespace)`,
    );
  if (typeof namespace !== 'string' || namespace === '') return { ok: false, condition: missing('namespace') };
  if (typeof name !== 'string' || name === '') return { ok: false, condition: missing('name') };
  const problem = vnsNameProblem(namespace);
  if (problem)
    return {
      ok: false,
      condition: refusal('InvalidSpec', `spec.deployment.userMetadata.namespace: not a valid namespace name: ${problem}`),
    };
  return { ok: true, vns: namespace, name };
}

/** The platform-controlled annotations a CR sets (VVP's operator refuses them), with where. */
export function reservedAnnotations(cr: VvpDeploymentCr): string[] {
  const reserved = new Set<string>(Object.values(PLATFORM_ANNOTATIONS));
  const found: string[] = [];
  const scan = (annotations: unknown, path: string) => {
    if (!annotations || typeof annotations !== 'object') return;
    for (const key of Object.keys(annotations)) if (reserved.has(key)) found.push(`${path}["${key}"]`);
  };
  scan(cr.spec.deployment?.userMetadata?.annotations, 'spec.deployment.userMetadata.annotations');
  scan(cr.spec.initFields?.userMetadata?.annotations, 'spec.initFields.userMetadata.annotations');
  return found;
}

/** CR syncing is off when the Deployment's annotation or the CR's own says `"false"`. */
export function syncingOff(cr: VvpDeploymentCr, d: DeploymentResource | undefined): boolean {
  return cr.metadata.annotations?.[ANNOTATIONS.crSyncing] === 'false' || d?.spec.metadata.annotations?.[ANNOTATIONS.crSyncing] === 'false';
}

/** The Deployment's user-facing content (what a CR syncs and what is written back). */
export function bodyOf(d: DeploymentResource): DeploymentBody {
  const m = d.spec.metadata;
  return {
    metadata: {
      name: m.name,
      namespace: m.namespace,
      ...(m.displayName !== undefined ? { displayName: m.displayName } : {}),
      labels: m.labels ?? {},
      annotations: m.annotations ?? {},
    },
    spec: structuredClone(d.spec.spec) as Json,
  };
}

/** The CR's own content for the Deployment: its valid userMetadata keys and its spec. */
export function crBody(cr: VvpDeploymentCr): DeploymentBody {
  return { metadata: pickUserMetadata(cr.spec.deployment.userMetadata), spec: structuredClone(cr.spec.deployment.spec ?? {}) as Json };
}

/** Validates a Deployment body with the model's schemas; the message names the CR's fields. */
export function validateBody(body: DeploymentBody): { ok: true; value: DeploymentBody } | { ok: false; message: string } {
  const meta = check(UserMetadata, body.metadata, 'spec.deployment.userMetadata');
  const spec = check(DeploymentSpec, body.spec, 'spec.deployment.spec');
  if (!meta.ok || !spec.ok) return { ok: false, message: [meta, spec].flatMap((r) => (r.ok ? [] : [r.message])).join('; ') };
  return { ok: true, value: { metadata: meta.value, spec: spec.value } };
}

const normalised = (b: DeploymentBody) =>
  stableHash({
    metadata: { ...b.metadata, labels: b.metadata.labels ?? {}, annotations: b.metadata.annotations ?? {} },
    spec: b.spec,
  });

export type SyncPlan =
  | { action: 'create'; body: DeploymentBody; initialSavepoint?: InitialSavepoint; reason: string }
  | { action: 'patch'; body: DeploymentBody; reason: string }
  | { action: 'replace'; body: DeploymentBody; reason: string }
  | { action: 'none'; reason: string }
  | { action: 'refuse'; condition: ConditionInput };

/**
 * VVP's conditions for an initial savepoint: the CR gives one, the Deployment is
 * created CANCELLED, its restore strategy is not NONE (unset counts as not NONE: VVP's
 * own example sets none), and it does not exist yet (only a create asks).
 */
export function initialSavepointFor(cr: VvpDeploymentCr, created: DeploymentBody): InitialSavepoint | undefined {
  const spec = cr.spec.initialSavepointSpec;
  if (!spec?.savepointLocation) return undefined;
  const s = created.spec as { state?: string; restoreStrategy?: { kind?: string } };
  if (s.state !== 'CANCELLED' || s.restoreStrategy?.kind === 'NONE') return undefined;
  return { savepointLocation: spec.savepointLocation, ...(spec.flinkSavepointId ? { flinkSavepointId: spec.flinkSavepointId } : {}) };
}

export interface SyncInput {
  cr: VvpDeploymentCr;
  /** The Deployment as stored, if it exists. */
  current?: DeploymentResource;
  /** The CR has not been synced into this existing Deployment before (VVP's operator: then it is patched, even in PUT mode). */
  firstAttach: boolean;
  /** The Deployment already records this CR as its manager. */
  linked: boolean;
}

/**
 * How the CR's spec reaches the Deployment:
 * - missing Deployment: create it from the CR (in PATCH mode with `initFields` merged in);
 * - PATCH mode, or the first sync against an existing Deployment: merge-patch the CR's
 *   fields onto it (fields the CR lacks stay);
 * - PUT mode: replace the Deployment's metadata and spec by the CR's;
 * - nothing when the result would equal the Deployment (and it is already linked).
 * The result is validated first, so a refusal names the CR's fields.
 */
export function planSync({ cr, current, firstAttach, linked }: SyncInput): SyncPlan {
  // Before the merges below recurse over it: a CR's preserved fields can nest without bound.
  const deep = nestingProblem(cr.spec, 'spec');
  if (deep) return { action: 'refuse', condition: refusal('InvalidSpec', deep) };
  const reserved = reservedAnnotations(cr);
  if (reserved.length > 0) {
    return {
      action: 'refuse',
      condition: refusal(
        'ReservedAnnotations',
        `${reserved.join(', ')}: controlled by the platform and not allowed in a VvpDeployment (its values are shown in status.deploymentSystemMetadata.annotations); remove them`,
      ),
    };
  }
  const mode = syncingModeOf(cr);
  const body = crBody(cr);
  if (!current) {
    const init = cr.spec.initFields;
    const created =
      mode === 'PATCH' && init
        ? (mergePatch(body, {
            ...(init.userMetadata ? { metadata: pickUserMetadata(init.userMetadata) } : {}),
            ...(init.spec ? { spec: init.spec } : {}),
          }) as DeploymentBody)
        : body;
    const valid = validateBody(created);
    if (!valid.ok) return { action: 'refuse', condition: refusal('InvalidSpec', valid.message) };
    const initialSavepoint = initialSavepointFor(cr, created);
    return {
      action: 'create',
      body: created,
      ...(initialSavepoint ? { initialSavepoint } : {}),
      reason: `creating the Deployment${mode === 'PATCH' && init ? ' (with initFields)' : ''}${initialSavepoint ? ' with an initial savepoint' : ''}`,
    };
  }
  const patch = mode === 'PATCH' || firstAttach;
  const now = bodyOf(current);
  const desired = patch ? (mergePatch(now, body) as DeploymentBody) : body;
  const valid = validateBody(desired);
  if (!valid.ok) return { action: 'refuse', condition: refusal('InvalidSpec', valid.message) };
  if (linked && normalised(valid.value) === normalised(now))
    return { action: 'none', reason: "the Deployment already has the CR's content" };
  return patch
    ? {
        action: 'patch',
        body,
        reason: mode === 'PUT' ? 'first sync of a PUT-mode CR into an existing Deployment: patched' : 'patching the Deployment',
      }
    : { action: 'replace', body, reason: 'replacing the Deployment (PUT)' };
}

/** Whether this reconcile syncs the CR's spec (otherwise only status is mirrored). */
export function needsSync(cr: VvpDeploymentCr, d: DeploymentResource | undefined, linked: boolean): boolean {
  if (!d) return true;
  const s = cr.status;
  return (
    cr.metadata.generation !== s?.observedGeneration ||
    s?.customResourceStatus?.customResourceState !== 'SYNCING' ||
    s?.customResourceStatus?.deploymentId !== d.spec.metadata.id ||
    !linked
  );
}

/** The CR a Deployment records as its manager (annotation `sluice.dev/managed-by-cr`), if any. */
export const managerOf = (d: DeploymentResource | undefined): CrRef | undefined =>
  parseManagedBy(d?.metadata.annotations?.[ANNOTATIONS.managedBy]);

/** A write of the Deployment: its body, and the annotations of its Kubernetes object. */
export interface DeploymentWrite {
  action: 'create' | 'patch' | 'replace';
  body: DeploymentBody;
  annotations: Record<string, string>;
}

/**
 * What one step does with a CR's spec, decided on what it read:
 * - `hold`: nothing is synced (another CR manages the Deployment, or syncing is off); the CR idles;
 * - `mirror`: the spec is synced already; only the Deployment's status is mirrored;
 * - `refuse`: the CR's content cannot be synced; the Synced condition says why;
 * - `sync`: `write` (if any) brings the Deployment to the CR's content; then the result is
 *   written back into the CR's spec, and `synced` is its condition.
 */
export type SyncDecision =
  | { kind: 'hold'; synced: ConditionInput; reason: string }
  | { kind: 'mirror'; reason: string }
  | { kind: 'refuse'; synced: ConditionInput; reason: string }
  | { kind: 'sync'; write?: DeploymentWrite; synced: ConditionInput; reason: string };

export interface SyncObservation {
  cr: VvpDeploymentCr;
  /** The Deployment the CR names (`identify`). */
  vns: string;
  name: string;
  /** That Deployment as stored, if it exists. */
  deployment?: DeploymentResource;
  /** Another CR, still existing and naming the same Deployment, that manages it. */
  otherManager?: CrRef;
}

/** Sync the CR into its Deployment, unless another CR manages it, syncing is off, or it is synced already. */
export function decideSync({ cr, vns, name, deployment: d, otherManager }: SyncObservation): SyncDecision {
  if (otherManager) {
    const message = `Deployment ${name} in namespace ${vns} is managed by VvpDeployment ${managedByValue(otherManager)}: only one CR may manage a Deployment`;
    return { kind: 'hold', synced: refusal('ManagedByAnotherCr', message), reason: message };
  }
  if (syncingOff(cr, d)) {
    const where = cr.metadata.annotations?.[ANNOTATIONS.crSyncing] === 'false' ? 'CR' : 'Deployment';
    const message = `CR syncing is off (annotation ${ANNOTATIONS.crSyncing}: "false" on the ${where}): its spec is not synced, the Deployment's status still is`;
    return { kind: 'hold', synced: refusal('SyncingOff', message), reason: 'syncing off: status mirrored' };
  }
  const ref = refOf(cr);
  const linked = sameRef(managerOf(d), ref);
  if (!needsSync(cr, d, linked)) return { kind: 'mirror', reason: 'status mirrored' };
  // Never synced into this Deployment yet: it does not carry this CR's annotation (set by the first successful sync).
  const plan = planSync({ cr, current: d, firstAttach: !!d && !linked, linked });
  if (plan.action === 'refuse') return { kind: 'refuse', synced: plan.condition, reason: `not synced: ${plan.condition.message}` };
  const synced: ConditionInput = {
    type: SYNCED,
    status: 'True',
    reason: 'Synced',
    message: `synced into Deployment ${name} in namespace ${vns} (${syncingModeOf(cr)} mode)`,
  };
  if (plan.action === 'none') return { kind: 'sync', synced, reason: plan.reason };
  const annotations: Record<string, string> = { [ANNOTATIONS.managedBy]: managedByValue(ref) };
  if (plan.action === 'create' && plan.initialSavepoint) annotations[ANNOTATIONS.initialSavepoint] = JSON.stringify(plan.initialSavepoint);
  return { kind: 'sync', write: { action: plan.action, body: plan.body, annotations }, synced, reason: plan.reason };
}

/** The Synced condition of a Deployment write that Platform refused (the CR's content is at fault). */
export const writeRefused = (message: string): ConditionInput => refusal('Refused', crFieldMessage(message));

/** The Synced condition when the Deployment was synced but the CR's spec refused its result. */
export const writeBackRefused = (message: string): ConditionInput =>
  refusal('WriteBackRefused', `the Deployment was synced, but writing its result back into spec.deployment was refused: ${message}`);

/** A Platform refusal, with its field paths said as the CR's (`spec.x` → `spec.deployment.spec.x`). */
export function crFieldMessage(message: string): string {
  if (message.startsWith('spec.')) return `spec.deployment.${message}`;
  if (message.startsWith('metadata.')) return `spec.deployment.userMetadata.${message.slice('metadata.'.length)}`;
  return message;
}

/**
 * The CR's `spec.deployment` after a sync: the Deployment's user metadata (valid keys only:
 * others are erased) and spec, so the CR shows the whole result. Undefined when
 * it is what the CR has already.
 */
export function writeBack(cr: VvpDeploymentCr, d: DeploymentResource): CrDeployment | undefined {
  const had = cr.spec.deployment.userMetadata ?? {};
  const m = d.spec.metadata;
  const map = (key: 'labels' | 'annotations') => {
    const v = m[key] ?? {};
    return Object.keys(v).length > 0 || had[key] !== undefined ? { [key]: v } : {};
  };
  const userMetadata: UserMetadata = {
    name: m.name,
    namespace: m.namespace,
    ...(m.displayName !== undefined ? { displayName: m.displayName } : {}),
    ...map('labels'),
    ...map('annotations'),
  };
  const next: CrDeployment = {
    ...cr.spec.deployment,
    userMetadata,
    spec: structuredClone(d.spec.spec) as Json,
  };
  return stableHash(next) === stableHash(cr.spec.deployment) ? undefined : next;
}

/** VVP's system metadata of a Deployment, as the CR's `status.deploymentSystemMetadata`. */
export function systemMetadata(d: DeploymentResource): DeploymentSystemMetadata {
  const version = d.metadata.generation ?? 1;
  const transitioning = d.status?.state === 'TRANSITIONING';
  const since = transitioning && d.status?.running?.transitionTime ? Date.parse(d.status.running.transitionTime) : NaN;
  return {
    id: d.spec.metadata.id,
    createdAt: d.spec.metadata.createdAt,
    modifiedAt: d.spec.metadata.modifiedAt,
    resourceVersion: version,
    annotations: {
      [PLATFORM_ANNOTATIONS.specVersion]: String(version),
      [PLATFORM_ANNOTATIONS.transitioning]: String(transitioning),
      ...(Number.isFinite(since) ? { [PLATFORM_ANNOTATIONS.transitioningSince]: String(since) } : {}),
    },
    labels: { ...(d.spec.metadata.labels ?? {}) },
  };
}

/** `DeploymentFailed` while the Deployment is FAILED (e.g. its target's patch set failed), with the reason. */
export function failureCondition(d: DeploymentResource | undefined): ConditionInput | undefined {
  if (d?.status?.state !== 'FAILED') return undefined;
  const f = d.status.failure;
  return { type: DEPLOYMENT_FAILED, status: 'True', reason: f?.reason ?? 'Failed', message: f?.message ?? 'the Deployment failed' };
}

export interface StatusInput {
  cr: VvpDeploymentCr;
  vns?: string;
  deployment?: DeploymentResource;
  state?: CustomResourceState;
  observedGeneration?: number;
  /** The new `Synced` condition; undefined keeps the previous one. */
  synced?: ConditionInput;
  /** Whether the Deployment's status may be shown (the CR is authorized). */
  mirror: boolean;
  now: string;
}

/**
 * The CR's status: the Deployment's VVP status and system metadata, the CR's
 * own syncing state, conditions for what went wrong, and observedGeneration. Without
 * `mirror` (the CR is not authorized, or names no Deployment) the status keeps only its
 * conditions and observedGeneration.
 */
export function crStatus(input: StatusInput): VvpDeploymentStatus {
  const { cr, deployment: d, now } = input;
  const prev = cr.status ?? {};
  const conditions = withConditions(
    prev.conditions,
    [
      ...(input.synced ? [{ type: SYNCED, set: input.synced }] : []),
      { type: DEPLOYMENT_FAILED, set: input.mirror ? failureCondition(d) : undefined },
    ],
    now,
  );
  // Nothing of a Deployment the CR may not (or no longer) see: only why, and what was synced once.
  if (!input.mirror)
    return { ...(prev.observedGeneration !== undefined ? { observedGeneration: prev.observedGeneration } : {}), conditions };
  const status: VvpDeploymentStatus = {};
  if (input.observedGeneration !== undefined) status.observedGeneration = input.observedGeneration;
  if (d) {
    const vvp = toVvp(d, 'Deployment').status as VvpDeploymentStatus['deploymentStatus'];
    if (vvp?.state) status.deploymentStatus = vvp;
    status.deploymentSystemMetadata = systemMetadata(d);
  }
  status.customResourceStatus = {
    customResourceState: input.state ?? 'SYNCING',
    ...(d ? { deploymentId: d.spec.metadata.id, observedSpecState: d.spec.spec.state } : {}),
    ...(d?.status?.state ? { statusState: d.status.state } : {}),
    ...(input.vns ? { vvpNamespace: input.vns } : {}),
  };
  status.conditions = conditions;
  return status;
}

/** The CR's own reference (`<k8s-namespace>/<name>`). */
export function refOf(cr: VvpDeploymentCr): CrRef {
  return { namespace: cr.metadata.namespace, name: cr.metadata.name };
}
