import type { Operation } from 'fast-json-patch';
import { isAlreadyExists } from '../../kube/client.js';
import { LABELS, objectName } from '../../model/naming.js';
import { FLINK_DEPLOYMENTS } from '../../kube/resources.js';
import { BadInput } from '../../runtime/errors.js';
import type { DeploymentInput, DeploymentResource, DeploymentSpec, StoredMetadata, TargetResource } from '../../model/index.js';
import { withNamespaceDefaults } from '../deployment-defaults.js';
import { validateDeployment } from '../input.js';
import { matchesSelector, parseLabelSelector } from '../label-selector.js';
import { mergePatch } from '../merge.js';
import { applyPatchSet, describeFailure } from '../patchset.js';
import { SecretValueStore, referencedSecretValues } from '../secret-values.js';
import {
  type MetadataInput,
  type PlatformResources,
  checkNamespace,
  checkVersion,
  findByNameOrId,
  notFound,
  retryingConflicts,
  userMetadata,
} from './common.js';

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

function labelsOf(vns: string, metadata: StoredMetadata, target: TargetResource | undefined): Record<string, string> {
  return { [LABELS.vnamespace]: vns, [LABELS.id]: metadata.id, ...(target ? { [LABELS.targetId]: target.spec.metadata.id } : {}) };
}

/** VVP's Deployment operations. */
export class Deployments {
  readonly #writes = new KeyedQueue();

  constructor(private readonly crs: PlatformResources) {}

  /** A vNamespace's Deployments (not those being deleted), optionally only those whose VVP labels match a label selector. */
  async list(vns: string, labelSelector?: string): Promise<DeploymentResource[]> {
    const requirements = parseLabelSelector(labelSelector ?? '');
    const all = await this.crs.deployments.list(`${LABELS.vnamespace}=${vns}`);
    return all.filter((d) => !beingDeleted(d) && matchesSelector(requirements, d.spec.metadata.labels));
  }

  async find(vns: string, idOrName: string): Promise<DeploymentResource | undefined> {
    const d = await findByNameOrId(this.crs.deployments, vns, idOrName);
    return d && !beingDeleted(d) ? d : undefined;
  }

  async get(vns: string, idOrName: string): Promise<DeploymentResource> {
    const d = await this.find(vns, idOrName);
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
    const target = await findByNameOrId(this.crs.targets, vns, (name ?? id)!);
    if (!target || (id && target.spec.metadata.id !== id)) {
      throw new BadInput(
        `spec.${name ? 'deploymentTargetName' : 'deploymentTargetId'}: deployment target ${name ?? id} not found in namespace ${vns}; a deployment can only use a deployment target of its own namespace`,
        422,
      );
    }
    const result = applyPatchSet(
      { metadata: { labels: input.metadata.labels ?? {}, annotations: input.metadata.annotations ?? {} }, spec: input.spec },
      (target.spec.spec.deploymentPatchSet ?? []) as Operation[],
    );
    // Recorded instead: applyPatchSet reports it, and deploymentStep marks the Deployment FAILED.
    if (!result.ok && opts.patchSetFailure === 'record') return target;
    if (!result.ok) throw new BadInput(`${describeFailure(result.failure)} (deployment target ${target.spec.metadata.name})`, 422);
    try {
      validateDeployment({ metadata: { name: input.metadata.name ?? 'x' }, spec: result.value.spec });
    } catch (err) {
      throw new BadInput(
        `the patch set of deployment target ${target.spec.metadata.name} makes the deployment invalid: ${(err as Error).message}`,
        422,
      );
    }
    return target;
  }

  /** Every secret value the Flink configuration references must exist in the vNamespace (422 naming it). */
  async #checkSecretValues(vns: string, input: DeploymentInput, opts: DeploymentWriteOptions): Promise<void> {
    if (opts.patchSetFailure === 'record') return; // a VvpDeployment CR: its job records what is missing
    const store = new SecretValueStore(this.crs.kube, this.crs.settings.platformNamespace);
    for (const name of referencedSecretValues(input.spec.template.spec.flinkConfiguration)) {
      if (!(await store.find(vns, name))) {
        throw new BadInput(
          `spec.template.spec.flinkConfiguration: secret value ${name} (referenced as \${secret_values.${name}}) not found in namespace ${vns}`,
          422,
        );
      }
    }
  }

  async create(vns: string, body: unknown, opts: DeploymentWriteOptions = {}): Promise<DeploymentResource> {
    const defaults = opts.namespaceDefaults ? (await this.crs.namespaces.get(vns))?.spec.deploymentDefaults : undefined;
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
        namespace: this.crs.settings.platformNamespace,
        labels: { ...opts.labels, ...labelsOf(vns, metadata, target) },
        ...(opts.annotations ? { annotations: { ...opts.annotations } } : {}),
      },
      spec: { metadata, spec: input.spec as DeploymentSpec },
    };
    try {
      return await this.crs.deployments.create(cr);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await this.crs.deployments.get(cr.metadata.name);
      if (existing && beingDeleted(existing)) {
        throw new BadInput(
          `deployment ${metadata.name} in namespace ${vns} is still being deleted (its jobs are being stopped): create it again in a few seconds`,
          409,
        );
      }
      throw new BadInput(`deployment ${metadata.name} already exists in namespace ${vns}`, 409);
    }
  }

  /**
   * Writes the Deployment that `next` makes of the current one, against a fresh read on each
   * try. `next` refuses a stale version the client named (checkVersion).
   */
  async #write(
    vns: string,
    idOrName: string,
    next: (current: DeploymentResource) => unknown,
    opts: DeploymentWriteOptions,
  ): Promise<DeploymentResource> {
    return this.#writes.run(`${vns}/${idOrName}`, () =>
      retryingConflicts(async () => {
        const current = await this.get(vns, idOrName);
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
    return this.crs.deployments.replace({
      ...current,
      metadata: {
        ...current.metadata,
        labels: { ...current.metadata.labels, ...opts.labels, ...labelsOf(vns, metadata, target) },
        ...(opts.annotations ? { annotations: { ...current.metadata.annotations, ...opts.annotations } } : {}),
      },
      spec: { metadata, spec: input.spec as DeploymentSpec },
    });
  }

  /** PATCH: a JSON merge patch of `{metadata, spec}` onto the current deployment. */
  async patch(vns: string, idOrName: string, body: unknown, opts: DeploymentWriteOptions = {}): Promise<DeploymentResource> {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new BadInput('a PATCH body must be an object with metadata and/or spec');
    const patch = body as { metadata?: MetadataInput; spec?: unknown };
    const { resourceVersion: _rv, ...patchMeta } = patch.metadata ?? {};
    return this.#write(
      vns,
      idOrName,
      (current) => {
        checkVersion(patch.metadata, current);
        const base = { metadata: { ...current.spec.metadata }, spec: current.spec.spec };
        const merged = mergePatch(base, {
          ...(patch.metadata ? { metadata: patchMeta } : {}),
          ...(patch.spec !== undefined ? { spec: patch.spec } : {}),
        }) as {
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
  async replace(vns: string, idOrName: string, body: unknown, opts: DeploymentWriteOptions = {}): Promise<DeploymentResource> {
    const {
      resourceVersion: _rv,
      id: _id,
      createdAt: _c,
      modifiedAt: _m,
      ...meta
    } = ((body as { metadata?: Record<string, unknown> })?.metadata ?? {}) as Record<string, unknown>;
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
  async delete(vns: string, idOrName: string): Promise<DeploymentResource> {
    return retryingConflicts(async () => {
      const current = await this.get(vns, idOrName);
      if (current.spec.spec.state !== 'CANCELLED') {
        throw new BadInput(
          `deployment ${current.spec.metadata.name} must be CANCELLED before it can be deleted (spec.state is ${current.spec.spec.state}): PATCH it with {"spec": {"state": "CANCELLED"}} first`,
          409,
        );
      }
      await this.crs.deployments.delete(current.metadata.name, current.metadata.resourceVersion);
      return current;
    });
  }
}
