import { randomUUID } from 'node:crypto';
import type { Operation } from 'fast-json-patch';
import type { Settings } from '../config.js';
import { CrClient } from '../cr-client.js';
import type { Kube } from '../kube.js';
import { isAlreadyExists, isConflict } from '../kube.js';
import { LABELS, objectName, savepointObjectName } from '../model/naming.js';
import { DEPLOYMENT_TARGETS, FLINK_DEPLOYMENTS, FLINK_JOBS, SAVEPOINTS, VNAMESPACES } from '../resources.js';
import { BadInput, NotFound } from '../runtime/errors.js';
import type { DeploymentResource, DeploymentSpecLike, JobResource, SavepointResource, TargetResource, TargetSpecLike, VvpMetadata } from './crs.js';
import { type DeploymentInput, validateDeployment, validateSavepoint, validateTarget } from './input.js';
import { mergePatch } from './merge.js';
import { matchesSelector, parseLabelSelector } from './label-selector.js';
import { applyPatchSet, describeFailure } from './patchset.js';
import { deploymentView, jobView, savepointView, toVvp } from './views.js';
import { PURPOSE_ANNOTATION, savepointDirectoryOf } from './savepoint-directory.js';
import { defaultsView, patchedDefaults, withNamespaceDefaults } from './deployment-defaults.js';
import type { NamespaceResource } from './namespaces.js';
import { SecretValueStore, referencedSecretValues } from './secret-values.js';

/** The user-settable part of VVP metadata in a request body. */
export interface MetadataInput {
  name?: string;
  namespace?: string;
  displayName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: number;
}

/**
 * Extras for a Deployment write on behalf of the VvpDeployment operator (onCrChanged):
 * Kubernetes annotations/labels on the FlinkDeployment object itself (never the VVP
 * metadata), and VVP's rule for a change arriving through a CR: a failing patch set
 * does not refuse the write but is recorded, so the Deployment is marked FAILED with the
 * reason (by applyPatchSet/deploymentStep) and no job is started.
 */
export interface DeploymentWriteOptions {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  patchSetFailure?: 'refuse' | 'record';
  /** A new Deployment takes its vNamespace's Deployment Defaults under its spec (the REST API's creates). */
  namespaceDefaults?: boolean;
}

const now = () => new Date().toISOString();

/**
 * How long a Deployment write is retried against a fresh read when the API server reports a
 * conflict. Sluice's own functions write status and finalizers between a request's read and
 * its write, and concurrent clients write too; a client that named no version, or one that is
 * still current, means "apply to what is current", so such a conflict is Sluice's to retry.
 */
const WRITE_RETRY_MS = 30_000;
const CONCURRENT = 'the deployment was changed concurrently: read it again and retry';

/** Runs `attempt` until it does not fail with a conflict, for WRITE_RETRY_MS at most (then 409). */
async function retryingConflicts<T>(attempt: () => Promise<T>): Promise<T> {
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

/**
 * Runs the writes of one key one after another within this process: concurrent requests for
 * one Deployment then queue instead of colliding at the API server and retrying.
 */
class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.#tails.get(key) ?? Promise.resolve()).then(task, task);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}

/** A Deployment being deleted is gone for the API (its jobs are being stopped, then it goes). */
const beingDeleted = (d: DeploymentResource) => !!d.metadata.deletionTimestamp;
const notFound = (what: string, ref: string, vns: string) => new NotFound(`${what} ${ref} not found in namespace ${vns}`);

/** Refuses a body whose metadata.namespace names another namespace than the path. */
function checkNamespace(meta: MetadataInput | undefined, vns: string) {
  if (meta?.namespace !== undefined && meta.namespace !== vns) {
    throw new BadInput(`metadata.namespace '${meta.namespace}' does not match the namespace of the path '${vns}'`);
  }
}

/** A write naming a resourceVersion must name the current one (409 on a stale write). */
function checkVersion(meta: MetadataInput | undefined, current: { metadata: { generation?: number } }) {
  if (meta?.resourceVersion !== undefined && meta.resourceVersion !== (current.metadata.generation ?? 1)) {
    throw new BadInput(
      `metadata.resourceVersion ${meta.resourceVersion} is stale: the current version is ${current.metadata.generation ?? 1}; read the resource again`,
      409,
    );
  }
}

function userMetadata(meta: MetadataInput, vns: string, prev?: VvpMetadata): VvpMetadata {
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

const UUID = /^[0-9a-f-]{36}$/i;

/**
 * A named resource of a vNamespace by name (one GET: its object name follows from the
 * name) or, failing that and if it looks like one, by id (a label selection).
 */
async function findByNameOrId<T extends { spec: { metadata: { namespace: string } }; metadata: { name: string } }>(
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
 * The operations of VVP's REST API on its resources, shared by the REST API and the operator.
 * Authorization is the caller's job; every method here validates, refuses bad input
 * with a BadInput naming the field, and changes nothing when it refuses.
 */
export class Platform {
  readonly namespaces: CrClient<NamespaceResource>;
  readonly targets: CrClient<TargetResource>;
  readonly deployments: CrClient<DeploymentResource>;
  readonly jobs: CrClient<JobResource>;
  readonly savepoints: CrClient<{ metadata: { name: string; resourceVersion?: string } }>;
  readonly #writes = new KeyedQueue();

  constructor(
    readonly kube: Kube,
    readonly settings: Settings,
  ) {
    const ns = settings.platformNamespace;
    this.namespaces = new CrClient(kube, VNAMESPACES, ns);
    this.targets = new CrClient(kube, DEPLOYMENT_TARGETS, ns);
    this.deployments = new CrClient(kube, FLINK_DEPLOYMENTS, ns);
    this.jobs = new CrClient(kube, FLINK_JOBS, ns);
    this.savepoints = new CrClient(kube, SAVEPOINTS, ns);
  }

  // ---- Deployment Targets -------------------------------------------------------------

  async listTargets(vns: string): Promise<TargetResource[]> {
    return this.targets.list(`${LABELS.vnamespace}=${vns}`);
  }

  /** By name (one GET) or, failing that, by id. */
  async findTarget(vns: string, nameOrId: string): Promise<TargetResource | undefined> {
    return findByNameOrId(this.targets, vns, nameOrId);
  }

  async getTarget(vns: string, nameOrId: string): Promise<TargetResource> {
    const t = await this.findTarget(vns, nameOrId);
    if (!t) throw notFound('deployment target', nameOrId, vns);
    return t;
  }

  async createTarget(vns: string, body: unknown): Promise<TargetResource> {
    const input = validateTarget(body);
    checkNamespace(input.metadata, vns);
    if (!input.metadata.name) throw new BadInput('metadata.name: a deployment target needs a name');
    const metadata = userMetadata(input.metadata, vns);
    const cr: TargetResource = {
      apiVersion: DEPLOYMENT_TARGETS.apiVersion,
      kind: DEPLOYMENT_TARGETS.kind,
      metadata: {
        name: objectName(vns, metadata.name),
        namespace: this.settings.platformNamespace,
        labels: { [LABELS.vnamespace]: vns, [LABELS.id]: metadata.id },
      },
      spec: { metadata, spec: input.spec },
    };
    try {
      return await this.targets.create(cr);
    } catch (err) {
      if (isAlreadyExists(err)) throw new BadInput(`deployment target ${metadata.name} already exists in namespace ${vns}`, 409);
      throw err;
    }
  }

  /** PUT: metadata may change; the spec is immutable once created. */
  async replaceTarget(vns: string, nameOrId: string, body: unknown): Promise<TargetResource> {
    const current = await this.getTarget(vns, nameOrId);
    const input = validateTarget(body);
    checkNamespace(input.metadata, vns);
    checkVersion(input.metadata, current);
    if (input.metadata.name !== undefined && input.metadata.name !== current.spec.metadata.name) {
      throw new BadInput(`metadata.name cannot change (is ${current.spec.metadata.name})`);
    }
    const normalise = (s: TargetSpecLike) => JSON.stringify({ kubernetes: s.kubernetes ?? {}, deploymentPatchSet: s.deploymentPatchSet ?? [] });
    if (normalise(input.spec) !== normalise(current.spec.spec)) {
      throw new BadInput(
        `the spec of deployment target ${current.spec.metadata.name} is immutable: only metadata may change; delete it and create a new one to change spec`,
        422,
      );
    }
    return this.targets.replace({ ...current, spec: { ...current.spec, metadata: userMetadata(input.metadata, vns, current.spec.metadata) } });
  }

  async deleteTarget(vns: string, nameOrId: string): Promise<TargetResource> {
    const current = await this.getTarget(vns, nameOrId);
    const users = await this.deployments.list(`${LABELS.targetId}=${current.spec.metadata.id}`);
    if (users.length > 0) {
      throw new BadInput(
        `deployment target ${current.spec.metadata.name} is referenced by deployment ${users[0]!.spec.metadata.name}${users.length > 1 ? ` and ${users.length - 1} more` : ''}: delete those first`,
        409,
      );
    }
    await this.targets.delete(current.metadata.name, current.metadata.resourceVersion);
    return current;
  }

  // ---- Deployments ----------------------------------------------------------------------

  /** A vNamespace's Deployments (not those being deleted), optionally only those whose VVP labels match a label selector. */
  async listDeployments(vns: string, labelSelector?: string): Promise<DeploymentResource[]> {
    const requirements = parseLabelSelector(labelSelector ?? '');
    const all = await this.deployments.list(`${LABELS.vnamespace}=${vns}`);
    return all.filter((d) => !beingDeleted(d) && matchesSelector(requirements, d.spec.metadata.labels));
  }

  async findDeployment(vns: string, idOrName: string): Promise<DeploymentResource | undefined> {
    const d = await findByNameOrId(this.deployments, vns, idOrName);
    return d && !beingDeleted(d) ? d : undefined;
  }

  async getDeployment(vns: string, idOrName: string): Promise<DeploymentResource> {
    const d = await this.findDeployment(vns, idOrName);
    if (!d) throw notFound('deployment', idOrName, vns);
    return d;
  }

  /**
   * Resolves the target a spec names, only inside `vns` (a Deployment may only
   * reference a target of its own vNamespace), and dry-runs its patch set (a
   * failing patch refuses the whole request).
   */
  async #checkTarget(vns: string, input: DeploymentInput, opts: DeploymentWriteOptions = {}): Promise<TargetResource | undefined> {
    const { deploymentTargetId: id, deploymentTargetName: name } = input.spec;
    if (!id && !name) {
      if (input.spec.sessionClusterName) return undefined;
      throw new BadInput('spec.deploymentTargetId or spec.deploymentTargetName: a deployment needs a deployment target');
    }
    const target = await this.findTarget(vns, (name ?? id)!);
    if (!target || (id && target.spec.metadata.id !== id)) {
      throw new BadInput(
        `spec.${name ? 'deploymentTargetName' : 'deploymentTargetId'}: deployment target ${name ?? id} not found in namespace ${vns}; a deployment can only use a deployment target of its own namespace`,
        422,
      );
    }
    const result = applyPatchSet({ metadata: { labels: input.metadata.labels ?? {}, annotations: input.metadata.annotations ?? {} }, spec: input.spec }, (target.spec.spec.deploymentPatchSet ?? []) as Operation[]);
    // Recorded instead: applyPatchSet reports it, and deploymentStep marks the Deployment FAILED.
    if (!result.ok && opts.patchSetFailure === 'record') return target;
    if (!result.ok) throw new BadInput(`${describeFailure(result.failure)} (deployment target ${target.spec.metadata.name})`, 422);
    try {
      validateDeployment({ metadata: { name: input.metadata.name ?? 'x' }, spec: result.value.spec });
    } catch (err) {
      throw new BadInput(`the patch set of deployment target ${target.spec.metadata.name} makes the deployment invalid: ${(err as Error).message}`, 422);
    }
    return target;
  }

  /** Every secret value the Flink configuration references must exist in the vNamespace (422 naming it). */
  async #checkSecretValues(vns: string, input: DeploymentInput, opts: DeploymentWriteOptions): Promise<void> {
    if (opts.patchSetFailure === 'record') return; // a VvpDeployment CR: its job records what is missing
    const store = new SecretValueStore(this.kube, this.settings.platformNamespace);
    for (const name of referencedSecretValues(input.spec.template.spec.flinkConfiguration)) {
      if (!(await store.find(vns, name))) {
        throw new BadInput(`spec.template.spec.flinkConfiguration: secret value ${name} (referenced as \${secret_values.${name}}) not found in namespace ${vns}`, 422);
      }
    }
  }

  #labels(vns: string, metadata: VvpMetadata, target: TargetResource | undefined): Record<string, string> {
    return { [LABELS.vnamespace]: vns, [LABELS.id]: metadata.id, ...(target ? { [LABELS.targetId]: target.spec.metadata.id } : {}) };
  }

  async createDeployment(vns: string, body: unknown, opts: DeploymentWriteOptions = {}): Promise<DeploymentResource> {
    const defaults = opts.namespaceDefaults ? (await this.namespaces.get(vns))?.spec.deploymentDefaults : undefined;
    const input = validateDeployment(withNamespaceDefaults(body, defaults));
    checkNamespace(input.metadata, vns);
    if (!input.metadata.name) throw new BadInput('metadata.name: a deployment needs a name');
    const target = await this.#checkTarget(vns, input, opts);
    await this.#checkSecretValues(vns, input, opts);
    const metadata = userMetadata(input.metadata, vns);
    const cr: DeploymentResource = {
      apiVersion: FLINK_DEPLOYMENTS.apiVersion,
      kind: FLINK_DEPLOYMENTS.kind,
      metadata: {
        name: objectName(vns, metadata.name),
        namespace: this.settings.platformNamespace,
        labels: { ...opts.labels, ...this.#labels(vns, metadata, target) },
        ...(opts.annotations ? { annotations: { ...opts.annotations } } : {}),
      },
      spec: { metadata, spec: input.spec as DeploymentSpecLike },
    };
    try {
      return await this.deployments.create(cr);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await this.deployments.get(cr.metadata.name);
      if (existing && beingDeleted(existing)) {
        throw new BadInput(`deployment ${metadata.name} in namespace ${vns} is still being deleted (its jobs are being stopped): create it again in a few seconds`, 409);
      }
      throw new BadInput(`deployment ${metadata.name} already exists in namespace ${vns}`, 409);
    }
  }

  /**
   * Writes the Deployment that `next` makes of the current one, against a fresh read on each
   * try. `next` refuses a stale version the client named (checkVersion).
   */
  async #write(vns: string, idOrName: string, next: (current: DeploymentResource) => unknown, opts: DeploymentWriteOptions): Promise<DeploymentResource> {
    return this.#writes.run(`${vns}/${idOrName}`, () =>
      retryingConflicts(async () => {
        const current = await this.getDeployment(vns, idOrName);
        return this.#store(vns, current, next(current), opts);
      }),
    );
  }

  async #store(vns: string, current: DeploymentResource, next: unknown, opts: DeploymentWriteOptions = {}): Promise<DeploymentResource> {
    const input = validateDeployment(next);
    checkNamespace(input.metadata, vns);
    if (input.metadata.name !== undefined && input.metadata.name !== current.spec.metadata.name) {
      throw new BadInput(`metadata.name cannot change (is ${current.spec.metadata.name})`);
    }
    const target = await this.#checkTarget(vns, input, opts);
    await this.#checkSecretValues(vns, input, opts);
    const metadata = userMetadata(input.metadata, vns, current.spec.metadata);
    return this.deployments.replace({
      ...current,
      metadata: {
        ...current.metadata,
        labels: { ...current.metadata.labels, ...opts.labels, ...this.#labels(vns, metadata, target) },
        ...(opts.annotations ? { annotations: { ...current.metadata.annotations, ...opts.annotations } } : {}),
      },
      spec: { metadata, spec: input.spec as DeploymentSpecLike },
    });
  }

  /** PATCH: a JSON merge patch of `{metadata, spec}` onto the current deployment. */
  async patchDeployment(vns: string, idOrName: string, body: unknown, opts: DeploymentWriteOptions = {}): Promise<DeploymentResource> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadInput('a PATCH body must be an object with metadata and/or spec');
    const patch = body as { metadata?: MetadataInput; spec?: unknown };
    const { resourceVersion: _rv, ...patchMeta } = patch.metadata ?? {};
    return this.#write(
      vns,
      idOrName,
      (current) => {
        checkVersion(patch.metadata, current);
        const base = { metadata: { ...current.spec.metadata }, spec: current.spec.spec };
        const merged = mergePatch(base, { ...(patch.metadata ? { metadata: patchMeta } : {}), ...(patch.spec !== undefined ? { spec: patch.spec } : {}) }) as {
          metadata: Record<string, unknown>;
          spec: unknown;
        };
        const { id: _id, createdAt: _c, modifiedAt: _m, ...meta } = merged.metadata;
        return { metadata: meta, spec: merged.spec };
      },
      opts,
    );
  }

  /** PUT: the body replaces metadata and spec. */
  async replaceDeployment(vns: string, idOrName: string, body: unknown, opts: DeploymentWriteOptions = {}): Promise<DeploymentResource> {
    const { resourceVersion: _rv, id: _id, createdAt: _c, modifiedAt: _m, ...meta } = ((body as { metadata?: Record<string, unknown> })?.metadata ?? {}) as Record<string, unknown>;
    return this.#write(
      vns,
      idOrName,
      (current) => {
        checkVersion((body as { metadata?: MetadataInput } | undefined)?.metadata, current);
        return { ...(body as object), metadata: meta };
      },
      opts,
    );
  }

  /**
   * As in VVP, only a Deployment whose desired state is CANCELLED can be deleted. Its job
   * need not have stopped yet: the Deployment's finalizer keeps it until deploymentStep has
   * stopped its jobs and deleted their objects; meanwhile it is no longer listed.
   */
  async deleteDeployment(vns: string, idOrName: string): Promise<DeploymentResource> {
    return retryingConflicts(async () => {
      const current = await this.getDeployment(vns, idOrName);
      if (current.spec.spec.state !== 'CANCELLED') {
        throw new BadInput(
          `deployment ${current.spec.metadata.name} must be CANCELLED before it can be deleted (spec.state is ${current.spec.spec.state}): PATCH it with {"spec": {"state": "CANCELLED"}} first`,
          409,
        );
      }
      await this.deployments.delete(current.metadata.name, current.metadata.resourceVersion);
      return current;
    });
  }

  // ---- Deployment Defaults ----------------------------------------------------------------

  async #namespace(vns: string): Promise<NamespaceResource> {
    const ns = await this.namespaces.get(vns);
    if (!ns) throw new NotFound(`namespace ${vns} not found`);
    return ns;
  }

  async getDeploymentDefaults(vns: string) {
    const ns = await this.#namespace(vns);
    return defaultsView(vns, ns.spec.deploymentDefaults, new Date(ns.metadata.creationTimestamp ?? 0).toISOString());
  }

  /** PATCH: a merge patch onto the current defaults; applies to Deployments created from now on. */
  async patchDeploymentDefaults(vns: string, body: unknown) {
    const ns = await retryingConflicts(async () => {
      const current = await this.#namespace(vns);
      const next = patchedDefaults(vns, current.spec.deploymentDefaults, body, now());
      return this.namespaces.replace({ ...current, spec: { ...current.spec, deploymentDefaults: next } });
    });
    return defaultsView(vns, ns.spec.deploymentDefaults, new Date(ns.metadata.creationTimestamp ?? 0).toISOString());
  }

  // ---- Jobs -----------------------------------------------------------------------------

  async listJobs(vns: string, deploymentId?: string): Promise<JobResource[]> {
    return this.jobs.list(`${LABELS.vnamespace}=${vns}${deploymentId ? `,${LABELS.deploymentId}=${deploymentId}` : ''}`);
  }

  async getJob(vns: string, id: string): Promise<JobResource> {
    const job = UUID.test(id) ? await this.jobs.get(`${vns}.${id}`) : undefined;
    if (!job || job.spec.metadata.namespace !== vns) throw notFound('job', id, vns);
    return job;
  }

  // ---- Savepoints -----------------------------------------------------------------------

  get #savepointCrs(): CrClient<SavepointResource> {
    return this.savepoints as unknown as CrClient<SavepointResource>;
  }

  /** A vNamespace's Savepoints (optionally of one Deployment, of one Job), oldest first. */
  async listSavepoints(vns: string, deploymentId?: string, jobId?: string): Promise<SavepointResource[]> {
    const all = await this.#savepointCrs.list(`${LABELS.vnamespace}=${vns}${deploymentId ? `,${LABELS.deploymentId}=${deploymentId}` : ''}`);
    const items = jobId ? all.filter((s) => s.spec.spec.jobId === jobId.toLowerCase()) : all;
    return items.sort((a, b) => a.spec.metadata.createdAt.localeCompare(b.spec.metadata.createdAt) || a.spec.metadata.id.localeCompare(b.spec.metadata.id));
  }

  async getSavepoint(vns: string, id: string): Promise<SavepointResource> {
    const sp = UUID.test(id) ? await this.#savepointCrs.get(savepointObjectName(vns, id)) : undefined;
    if (!sp || sp.spec.metadata.namespace !== vns) throw notFound('savepoint', id, vns);
    return sp;
  }

  /** A vNamespace's Deployment by id, for a Savepoint that names it (422 when there is none: the field is at fault). */
  async #savepointDeployment(vns: string, deploymentId: string): Promise<DeploymentResource> {
    const deployment = (await this.deployments.list(`${LABELS.vnamespace}=${vns},${LABELS.id}=${deploymentId}`))[0];
    if (!deployment || deployment.spec.metadata.namespace !== vns) {
      throw new BadInput(`metadata.deploymentId: deployment ${deploymentId} not found in namespace ${vns}; a savepoint can only belong to a deployment of its own namespace`, 422);
    }
    return deployment;
  }

  /**
   * POST, as VVP takes it. With `spec.savepointLocation`: records a savepoint that exists
   * already, e.g. to restore a Deployment from it (the operator's initialSavepointSpec goes
   * through here too): the origin as given, else COPIED; COMPLETED at once (the location is
   * the caller's word). Without one, `metadata.deploymentId` asks for a savepoint of that
   * Deployment's running job (origin USER_REQUEST): recorded STARTED, then taken by
   * deploymentStep through Flink's REST API, the job left running.
   */
  async createSavepoint(vns: string, body: unknown): Promise<SavepointResource> {
    const input = validateSavepoint(body);
    checkNamespace(input.metadata, vns);
    const meta = input.metadata ?? {};
    const location = input.spec?.savepointLocation;
    if (location === undefined) {
      if (!meta.deploymentId) {
        throw new BadInput('metadata.deploymentId: required to take a savepoint (or give spec.savepointLocation to record one that exists)');
      }
      if (meta.origin !== undefined && meta.origin !== 'USER_REQUEST') {
        throw new BadInput(`metadata.origin: a savepoint taken on request is USER_REQUEST, not ${meta.origin}`);
      }
      return this.#requestSavepoint(vns, meta.deploymentId, meta.jobId, meta.annotations ?? {});
    }
    const { deploymentId, jobId } = meta;
    const deployment = deploymentId ? await this.#savepointDeployment(vns, deploymentId) : undefined;
    if (jobId) {
      const job = await this.jobs.get(`${vns}.${jobId.toLowerCase()}`);
      if (!job || job.spec.metadata.namespace !== vns) throw new BadInput(`metadata.jobId: job ${jobId} not found in namespace ${vns}`, 422);
      if (deploymentId && job.spec.spec.deploymentId !== deploymentId) {
        throw new BadInput(`metadata.jobId: job ${jobId} belongs to deployment ${job.spec.spec.deploymentId}, not to metadata.deploymentId ${deploymentId}`, 422);
      }
    }
    const id = randomUUID();
    const cr = this.#savepointCr(vns, id, deployment, meta.annotations ?? {}, {
      savepointLocation: location,
      ...(input.spec?.flinkSavepointId !== undefined ? { flinkSavepointId: input.spec.flinkSavepointId } : {}),
      ...(deploymentId ? { deploymentId } : {}),
      ...(jobId ? { jobId } : {}),
      savepointOrigin: meta.origin ?? 'COPIED',
    });
    return this.#createWithState(cr, { state: 'COMPLETED' });
  }

  /** A savepoint of the Deployment's running job, on request: refused unless a job runs and a directory is configured. */
  async #requestSavepoint(vns: string, deploymentId: string, jobId: string | undefined, annotations: Record<string, string>): Promise<SavepointResource> {
    const deployment = await this.#savepointDeployment(vns, deploymentId);
    const name = deployment.spec.metadata.name;
    const runningId = deployment.status?.sluice?.job?.id;
    const job = runningId ? await this.jobs.get(`${vns}.${runningId}`) : undefined;
    if (!job || job.status?.state !== 'STARTED' || deployment.status?.state !== 'RUNNING') {
      throw new BadInput(
        `deployment ${name} has no running job (status.state is ${deployment.status?.state ?? 'unknown'}${job ? `, job ${job.spec.metadata.id} is ${job.status?.state ?? 'not started'}` : ''}): a savepoint is taken of a RUNNING deployment's job`,
        409,
      );
    }
    if (jobId && jobId.toLowerCase() !== job.spec.metadata.id) {
      throw new BadInput(`metadata.jobId: job ${jobId} is not the running job of deployment ${name} (that is ${job.spec.metadata.id})`, 409);
    }
    const config = deployment.status?.sluice?.effective?.spec?.template.spec.flinkConfiguration ?? job.spec.spec.template.spec.flinkConfiguration;
    const directory = savepointDirectoryOf(config) ?? savepointDirectoryOf(job.spec.spec.template.spec.flinkConfiguration);
    if (!directory) {
      throw new BadInput(
        `deployment ${name} has no savepoint directory: set spec.template.spec.flinkConfiguration."state.savepoints.dir" (e.g. s3://bucket/savepoints), or give Sluice a blob storage (SLUICE_BLOB_STORAGE_URI)`,
        422,
      );
    }
    const id = randomUUID();
    const cr = this.#savepointCr(vns, id, deployment, annotations, {
      savepointLocation: directory,
      deploymentId: deployment.spec.metadata.id,
      jobId: job.spec.metadata.id,
      savepointOrigin: 'USER_REQUEST',
    });
    // Its purpose marks it as one Sluice takes (an imported USER_REQUEST savepoint has none).
    cr.metadata.annotations = { [PURPOSE_ANNOTATION]: `USER_REQUEST@${id}` };
    return this.#createWithState(cr, { state: 'STARTED' });
  }

  #savepointCr(vns: string, id: string, deployment: DeploymentResource | undefined, annotations: Record<string, string>, spec: SavepointResource['spec']['spec']): SavepointResource {
    const t = now();
    return {
      apiVersion: SAVEPOINTS.apiVersion,
      kind: SAVEPOINTS.kind,
      metadata: {
        name: savepointObjectName(vns, id),
        namespace: this.settings.platformNamespace,
        labels: { [LABELS.vnamespace]: vns, [LABELS.id]: id, ...(spec.deploymentId ? { [LABELS.deploymentId]: spec.deploymentId } : {}) },
        // Deleting the Deployment removes its Savepoint records (never the savepoint data).
        ...(deployment?.metadata.uid
          ? { ownerReferences: [{ apiVersion: FLINK_DEPLOYMENTS.apiVersion, kind: FLINK_DEPLOYMENTS.kind, name: deployment.metadata.name, uid: deployment.metadata.uid }] }
          : {}),
      },
      spec: { metadata: { id, name: id, namespace: vns, annotations, createdAt: t, modifiedAt: t }, spec },
    };
  }

  /** Creates the record, then its state; changes nothing when that fails (no Savepoint without a state is left behind). */
  async #createWithState(cr: SavepointResource, status: SavepointResource['status']): Promise<SavepointResource> {
    const created = await this.#savepointCrs.create(cr);
    try {
      return await this.#savepointCrs.replaceStatus({ ...created, status });
    } catch (err) {
      await this.#savepointCrs.delete(created.metadata.name).catch(() => undefined);
      throw err;
    }
  }

  /** VVP shapes for responses. */
  static view = {
    target: (t: TargetResource) => toVvp(t, 'DeploymentTarget'),
    deployment: deploymentView,
    job: jobView,
    savepoint: savepointView,
  };
}
