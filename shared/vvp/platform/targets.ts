import { isAlreadyExists } from '../../kube/client.js';
import { LABELS, objectName } from '../../model/naming.js';
import { DEPLOYMENT_TARGETS } from '../../kube/resources.js';
import { BadInput } from '../../runtime/errors.js';
import type { DeploymentResource, DeploymentTargetSpec, JobResource, TargetResource } from '../../model/index.js';
import { validateTarget } from '../input.js';
import { resourcesDeleted } from '../job-status.js';
import { type PlatformResources, checkNamespace, checkVersion, findByNameOrId, notFound, userMetadata } from './common.js';

/**
 * The Deployments that keep a target from being deleted: all that use it, except those being
 * deleted whose jobs have no Kubernetes objects left. Such a Deployment is already gone for
 * the API (as a VVP client sees it after its DELETE) and needs nothing of its target any more:
 * its last step only removes its finalizer. One still stopping a job needs the target's
 * bindings in the target namespace to delete the job's objects. Pure.
 */
export function targetUsers(users: readonly DeploymentResource[], jobs: readonly JobResource[]): DeploymentResource[] {
  return users.filter(
    (d) => !d.metadata.deletionTimestamp || jobs.some((j) => j.spec.spec.deploymentId === d.spec.metadata.id && !resourcesDeleted(j)),
  );
}

/** VVP's DeploymentTarget operations. */
export class Targets {
  constructor(private readonly crs: PlatformResources) {}

  async list(vns: string): Promise<TargetResource[]> {
    return this.crs.targets.list(`${LABELS.vnamespace}=${vns}`);
  }

  /** By name (one GET) or, failing that, by id. */
  async find(vns: string, nameOrId: string): Promise<TargetResource | undefined> {
    return findByNameOrId(this.crs.targets, vns, nameOrId);
  }

  async get(vns: string, nameOrId: string): Promise<TargetResource> {
    const t = await this.find(vns, nameOrId);
    if (!t) throw notFound('deployment target', nameOrId, vns);
    return t;
  }

  async create(vns: string, body: unknown): Promise<TargetResource> {
    const input = validateTarget(body);
    checkNamespace(input.metadata, vns);
    if (!input.metadata.name) throw new BadInput('metadata.name: a deployment target needs a name');
    const metadata = userMetadata(input.metadata, vns);
    const cr: TargetResource = {
      apiVersion: DEPLOYMENT_TARGETS.apiVersion,
      kind: DEPLOYMENT_TARGETS.kind,
      metadata: {
        name: objectName(vns, metadata.name),
        namespace: this.crs.settings.platformNamespace,
        labels: { [LABELS.vnamespace]: vns, [LABELS.id]: metadata.id },
      },
      spec: { metadata, spec: input.spec },
    };
    try {
      return await this.crs.targets.create(cr);
    } catch (err) {
      if (isAlreadyExists(err)) throw new BadInput(`deployment target ${metadata.name} already exists in namespace ${vns}`, 409);
      throw err;
    }
  }

  /** PUT: metadata may change; the spec is immutable once created. */
  async replace(vns: string, nameOrId: string, body: unknown): Promise<TargetResource> {
    const current = await this.get(vns, nameOrId);
    const input = validateTarget(body);
    checkNamespace(input.metadata, vns);
    checkVersion(input.metadata, current);
    if (input.metadata.name !== undefined && input.metadata.name !== current.spec.metadata.name) {
      throw new BadInput(`metadata.name cannot change (is ${current.spec.metadata.name})`);
    }
    const normalise = (s: DeploymentTargetSpec) =>
      JSON.stringify({ kubernetes: s.kubernetes ?? {}, deploymentPatchSet: s.deploymentPatchSet ?? [] });
    if (normalise(input.spec) !== normalise(current.spec.spec)) {
      throw new BadInput(
        `the spec of deployment target ${current.spec.metadata.name} is immutable: only metadata may change; delete it and create a new one to change spec`,
        422,
      );
    }
    return this.crs.targets.replace({
      ...current,
      spec: { ...current.spec, metadata: userMetadata(input.metadata, vns, current.spec.metadata) },
    });
  }

  async delete(vns: string, nameOrId: string): Promise<TargetResource> {
    const current = await this.get(vns, nameOrId);
    const referencing = await this.crs.deployments.list(`${LABELS.targetId}=${current.spec.metadata.id}`);
    const deleting = referencing.filter((d) => d.metadata.deletionTimestamp).map((d) => d.spec.metadata.id);
    const jobs = deleting.length ? await this.crs.jobs.list(`${LABELS.deploymentId} in (${deleting.join(',')})`) : [];
    const users = targetUsers(referencing, jobs);
    if (users.length > 0) {
      const first = users[0]!;
      const more = users.length > 1 ? ` and ${users.length - 1} more` : '';
      throw new BadInput(
        first.metadata.deletionTimestamp
          ? `deployment target ${current.spec.metadata.name} is referenced by deployment ${first.spec.metadata.name}${more}, being deleted: its job is stopping; retry in a few seconds`
          : `deployment target ${current.spec.metadata.name} is referenced by deployment ${first.spec.metadata.name}${more}: delete those first`,
        409,
      );
    }
    await this.crs.targets.delete(current.metadata.name, current.metadata.resourceVersion);
    return current;
  }
}
