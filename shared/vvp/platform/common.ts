import { randomUUID } from 'node:crypto';
import type { Settings } from '../../config.js';
import type { CrClient } from '../../kube/cr-client.js';
import { isConflict, type Kube } from '../../kube/client.js';
import { LABELS, objectName } from '../../model/naming.js';
import { PlatformCrs } from '../../kube/platform-crs.js';
import { BadInput, NotFound } from '../../runtime/errors.js';
import type { MetadataInput as VvpMetadataInput, StoredMetadata } from '../../model/index.js';

/**
 * What the operations on VVP's resources have in common: the platform namespace's custom
 * resources, and the checks every write makes of a request's metadata.
 */

/** The custom resources in the platform namespace, with the cluster and settings they were read with. */
export class PlatformResources extends PlatformCrs {
  constructor(
    readonly kube: Kube,
    readonly settings: Settings,
  ) {
    super(kube, settings.platformNamespace);
  }
}

/** VVP metadata in a request body; a merge-patch body's is not validated yet, hence every field optional. */
export type MetadataInput = Partial<VvpMetadataInput>;

export const now = () => new Date().toISOString();

export const notFound = (what: string, ref: string, vns: string) => new NotFound(`${what} ${ref} not found in namespace ${vns}`);

/** Refuses a body whose metadata.namespace names another namespace than the path. */
export function checkNamespace(meta: MetadataInput | undefined, vns: string) {
  if (meta?.namespace !== undefined && meta.namespace !== vns) {
    throw new BadInput(`metadata.namespace '${meta.namespace}' does not match the namespace of the path '${vns}'`);
  }
}

/** A write naming a resourceVersion must name the current one (409 on a stale write). */
export function checkVersion(meta: MetadataInput | undefined, current: { metadata: { generation?: number } }) {
  if (meta?.resourceVersion !== undefined && meta.resourceVersion !== (current.metadata.generation ?? 1)) {
    throw new BadInput(
      `metadata.resourceVersion ${meta.resourceVersion} is stale: the current version is ${current.metadata.generation ?? 1}; read the resource again`,
      409,
    );
  }
}

export function userMetadata(meta: MetadataInput, vns: string, prev?: StoredMetadata): StoredMetadata {
  const t = now();
  return {
    id: prev?.id ?? randomUUID(),
    name: prev?.name ?? meta.name!,
    namespace: vns,
    ...(meta.displayName !== undefined ? { displayName: meta.displayName } : {}),
    labels: meta.labels ?? {},
    annotations: meta.annotations ?? {},
    createdAt: prev?.createdAt ?? t,
    modifiedAt: t,
  };
}

export const UUID = /^[0-9a-f-]{36}$/i;

/**
 * A named resource of a vNamespace by name (one GET: its object name follows from the
 * name) or, failing that and if it looks like one, by id (a label selection).
 */
export async function findByNameOrId<T extends { spec: { metadata: { namespace: string } }; metadata: { name: string } }>(
  crs: CrClient<T>,
  vns: string,
  nameOrId: string,
): Promise<T | undefined> {
  const byName = await crs.get(objectName(vns, nameOrId));
  if (byName && byName.spec.metadata.namespace === vns) return byName;
  if (!UUID.test(nameOrId)) return undefined;
  return (await crs.list(`${LABELS.vnamespace}=${vns},${LABELS.id}=${nameOrId}`))[0];
}

/**
 * How long a write is retried against a fresh read when the API server reports a conflict.
 * Sluice's own functions write status and finalizers between a request's read and its
 * write, and concurrent clients write too; a client that named no version, or one that is
 * still current, means "apply to what is current", so such a conflict is Sluice's to retry.
 */
const WRITE_RETRY_MS = 30_000;
const CONCURRENT = 'the deployment was changed concurrently: read it again and retry';

/** Runs `attempt` until it does not fail with a conflict, for WRITE_RETRY_MS at most (then 409). */
export async function retryingConflicts<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + WRITE_RETRY_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!isConflict(err)) throw err;
      if (Date.now() > deadline) throw new BadInput(CONCURRENT, 409);
      // A little jitter, so that writers who collided do not collide again in step.
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 45));
    }
  }
}
