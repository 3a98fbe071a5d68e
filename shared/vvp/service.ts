import type { DeploymentResource, JobResource, SavepointResource, TargetResource } from '../model/index.js';
import { PlatformResources } from './platform/common.js';
import { DeploymentDefaults } from './platform/deployment-defaults.js';
import { type DeploymentWriteOptions, Deployments } from './platform/deployments.js';
import { Jobs } from './platform/jobs.js';
import { Savepoints } from './platform/savepoints.js';
import { Targets } from './platform/targets.js';
import { deploymentView, jobView, savepointView, toVvp } from './views.js';

/**
 * The operations of VVP's REST API on its resources, shared by the REST API and the operator;
 * each resource's are in its own file of `platform/`. Authorization is the caller's job; every
 * method validates, refuses bad input with a BadInput naming the field, and changes nothing
 * when it refuses. The custom resources themselves are at hand as `namespaces`, `targets`, ...
 */
export class Platform extends PlatformResources {
  readonly #targets = new Targets(this);
  readonly #deployments = new Deployments(this);
  readonly #defaults = new DeploymentDefaults(this);
  readonly #jobs = new Jobs(this);
  readonly #savepoints = new Savepoints(this);

  listTargets(vns: string): Promise<TargetResource[]> {
    return this.#targets.list(vns);
  }

  /** By name (one GET) or, failing that, by id. */
  findTarget(vns: string, nameOrId: string): Promise<TargetResource | undefined> {
    return this.#targets.find(vns, nameOrId);
  }
  getTarget(vns: string, nameOrId: string): Promise<TargetResource> {
    return this.#targets.get(vns, nameOrId);
  }
  createTarget(vns: string, body: unknown): Promise<TargetResource> {
    return this.#targets.create(vns, body);
  }
  replaceTarget(vns: string, nameOrId: string, body: unknown): Promise<TargetResource> {
    return this.#targets.replace(vns, nameOrId, body);
  }
  deleteTarget(vns: string, nameOrId: string): Promise<TargetResource> {
    return this.#targets.delete(vns, nameOrId);
  }

  listDeployments(vns: string, labelSelector?: string): Promise<DeploymentResource[]> {
    return this.#deployments.list(vns, labelSelector);
  }
  findDeployment(vns: string, idOrName: string): Promise<DeploymentResource | undefined> {
    return this.#deployments.find(vns, idOrName);
  }
  getDeployment(vns: string, idOrName: string): Promise<DeploymentResource> {
    return this.#deployments.get(vns, idOrName);
  }
  createDeployment(vns: string, body: unknown, opts?: DeploymentWriteOptions): Promise<DeploymentResource> {
    return this.#deployments.create(vns, body, opts);
  }
  patchDeployment(vns: string, idOrName: string, body: unknown, opts?: DeploymentWriteOptions): Promise<DeploymentResource> {
    return this.#deployments.patch(vns, idOrName, body, opts);
  }
  replaceDeployment(vns: string, idOrName: string, body: unknown, opts?: DeploymentWriteOptions): Promise<DeploymentResource> {
    return this.#deployments.replace(vns, idOrName, body, opts);
  }
  deleteDeployment(vns: string, idOrName: string): Promise<DeploymentResource> {
    return this.#deployments.delete(vns, idOrName);
  }

  getDeploymentDefaults(vns: string) {
    return this.#defaults.get(vns);
  }
  patchDeploymentDefaults(vns: string, body: unknown) {
    return this.#defaults.patch(vns, body);
  }

  listJobs(vns: string, deploymentId?: string): Promise<JobResource[]> {
    return this.#jobs.list(vns, deploymentId);
  }
  getJob(vns: string, id: string): Promise<JobResource> {
    return this.#jobs.get(vns, id);
  }

  listSavepoints(vns: string, deploymentId?: string, jobId?: string): Promise<SavepointResource[]> {
    return this.#savepoints.list(vns, deploymentId, jobId);
  }
  getSavepoint(vns: string, id: string): Promise<SavepointResource> {
    return this.#savepoints.get(vns, id);
  }
  createSavepoint(vns: string, body: unknown): Promise<SavepointResource> {
    return this.#savepoints.create(vns, body);
  }

  /** VVP shapes for responses. */
  static view = {
    target: (t: TargetResource) => toVvp(t, 'DeploymentTarget'),
    deployment: deploymentView,
    job: jobView,
    savepoint: savepointView,
  };
}
