import type { V1ConfigMap } from '@kubernetes/client-node';
import { isAlreadyExists, isConflict, isNotFound } from '../kube/client.js';
import type { FunctionContext } from '../runtime/define.js';
import { CONFIG_MAPS } from '../kube/resources.js';

/**
 * As VVP's operator does, each operator identity claims every watched namespace with the ConfigMap
 * `ververica-operator-leader-election` (a client-go ConfigMapLock: the leader record in the
 * annotation `control-plane.alpha.kubernetes.io/leader`), and the lock lasts forever. A
 * second identity that finds a namespace claimed refuses to start, naming the holder. To
 * change identity, delete the ConfigMap and restart.
 */
export const LEADER_CONFIGMAP = 'ververica-operator-leader-election';
export const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';
/** "Forever" in a LeaderElectionRecord (int32 seconds, about 68 years). */
const FOREVER_SECONDS = 2147483647;

/** The identity that holds a lock ConfigMap: the leader record's holderIdentity, else data.identity. */
export function holderOf(cm: Pick<V1ConfigMap, 'metadata' | 'data'>): string | undefined {
  const record = cm.metadata?.annotations?.[LEADER_ANNOTATION];
  if (record) {
    try {
      const holder = (JSON.parse(record) as { holderIdentity?: unknown }).holderIdentity;
      if (typeof holder === 'string' && holder !== '') return holder;
    } catch {
      // not a leader record: fall back to data.identity
    }
  }
  const identity = cm.data?.identity;
  return identity ? identity : undefined;
}

/** The lock ConfigMap for `identity` in `namespace`. */
export function leaderConfigMap(namespace: string, identity: string, now = new Date()): V1ConfigMap {
  const time = now.toISOString();
  const record = {
    holderIdentity: identity,
    leaseDurationSeconds: FOREVER_SECONDS,
    acquireTime: time,
    renewTime: time,
    leaderTransitions: 0,
  };
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: LEADER_CONFIGMAP,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'sluice', 'app.kubernetes.io/component': 'operator' },
      annotations: { [LEADER_ANNOTATION]: JSON.stringify(record) },
    },
    data: { identity },
  };
}

export class NamespaceClaimedError extends Error {
  constructor(
    readonly namespace: string,
    readonly holder: string,
    readonly identity: string,
  ) {
    super(
      `watched namespace ${namespace} is claimed by operator identity "${holder}" (ConfigMap ${LEADER_CONFIGMAP}), not by this one ("${identity}"): ` +
        `only one operator identity may watch a namespace; remove ${namespace} from SLUICE_WATCHED_NAMESPACES, use identity "${holder}", ` +
        `or delete the ConfigMap to hand the namespace over`,
    );
    this.name = 'NamespaceClaimedError';
  }
}

export type ClaimOutcome =
  { claimed: true } | { claimed: false; reason: 'namespace-missing' } | { claimed: false; reason: 'held'; holder: string };

/** Claims one namespace for `identity`: creates the lock, or finds it already ours. */
export async function claimNamespace(ctx: Pick<FunctionContext, 'kube'>, namespace: string, identity: string): Promise<ClaimOutcome> {
  for (let attempt = 0; attempt < 3; attempt++) {
    let cm: V1ConfigMap | undefined;
    try {
      cm = await ctx.kube.api<V1ConfigMap>(CONFIG_MAPS).get({ namespace, name: LEADER_CONFIGMAP });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (cm) {
      const holder = holderOf(cm);
      if (holder === identity) return { claimed: true };
      if (holder) return { claimed: false, reason: 'held', holder };
      // A lock without a holder (hand-made, or emptied): take it.
      const body = leaderConfigMap(namespace, identity);
      body.metadata!.resourceVersion = cm.metadata?.resourceVersion;
      try {
        await ctx.kube.api<V1ConfigMap>(CONFIG_MAPS).replace({ namespace, name: LEADER_CONFIGMAP, body });
        return { claimed: true };
      } catch (err) {
        if (isConflict(err)) continue;
        throw err;
      }
    }
    try {
      await ctx.kube.api<V1ConfigMap>(CONFIG_MAPS).create({ namespace, body: leaderConfigMap(namespace, identity) });
      return { claimed: true };
    } catch (err) {
      if (isAlreadyExists(err)) continue; // another identity was faster: read who
      if (isNotFound(err)) return { claimed: false, reason: 'namespace-missing' };
      throw err;
    }
  }
  throw new Error(`could not claim namespace ${namespace}: the lock ConfigMap ${LEADER_CONFIGMAP} keeps changing`);
}

/**
 * On start (bin/sluice.ts): claims every watched namespace, or throws naming the identity
 * that holds one. A watched namespace that does not exist yet is claimed later, before the
 * operator's first reconcile there.
 */
export async function claimWatchedNamespaces(ctx: FunctionContext): Promise<{ claimed: string[]; missing: string[] }> {
  const identity = ctx.settings.operatorIdentity;
  const claimed: string[] = [];
  const missing: string[] = [];
  const conflicts: NamespaceClaimedError[] = [];
  for (const namespace of ctx.settings.watchedNamespaces) {
    const outcome = await claimNamespace(ctx, namespace, identity);
    if (outcome.claimed) {
      claimed.push(namespace);
      remember(identity, namespace);
    } else if (outcome.reason === 'held') conflicts.push(new NamespaceClaimedError(namespace, outcome.holder, identity));
    else missing.push(namespace);
  }
  if (conflicts.length === 1) throw conflicts[0]!;
  if (conflicts.length > 1) {
    throw new Error(
      `operator identity "${identity}" cannot watch its namespaces: ${conflicts.map((c) => `${c.namespace} is claimed by "${c.holder}"`).join('; ')} (ConfigMap ${LEADER_CONFIGMAP}); delete the ConfigMap to hand a namespace over`,
    );
  }
  if (missing.length > 0) {
    ctx.log.warn({ namespaces: missing, identity }, 'watched namespaces do not exist yet: claimed before the first CR there is reconciled');
  }
  if (claimed.length > 0) ctx.log.info({ namespaces: claimed, identity }, 'operator claimed its watched namespaces');
  return { claimed, missing };
}

/** Claims made by this process (the lock lasts forever: once ours, always ours). */
const claims = new Set<string>();
const claimKey = (identity: string, namespace: string) => `${identity}\u0000${namespace}`;
const remember = (identity: string, namespace: string) => claims.add(claimKey(identity, namespace));

/**
 * Before the first reconcile in a namespace, once per process: the namespace is claimed
 * by this identity (claiming it now if nobody has). Conflicts are re-checked each time,
 * so that deleting the other identity's ConfigMap hands the namespace over.
 */
export async function ensureNamespaceClaimed(ctx: Pick<FunctionContext, 'kube' | 'settings'>, namespace: string): Promise<ClaimOutcome> {
  const identity = ctx.settings.operatorIdentity;
  if (claims.has(claimKey(identity, namespace))) return { claimed: true };
  const outcome = await claimNamespace(ctx, namespace, identity);
  if (outcome.claimed) remember(identity, namespace);
  return outcome;
}
