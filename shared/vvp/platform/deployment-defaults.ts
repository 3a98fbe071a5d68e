import { NotFound } from '../../runtime/errors.js';
import { defaultsView, patchedDefaults } from '../deployment-defaults.js';
import type { NamespaceResource } from '../../model/index.js';
import { type PlatformResources, now, retryingConflicts } from './common.js';

/** VVP's DeploymentDefaults of a vNamespace, kept in its VNamespace resource. */
export class DeploymentDefaults {
  constructor(private readonly crs: PlatformResources) {}

  async #namespace(vns: string): Promise<NamespaceResource> {
    const ns = await this.crs.namespaces.get(vns);
    if (!ns) throw new NotFound(`namespace ${vns} not found`);
    return ns;
  }

  async get(vns: string) {
    const ns = await this.#namespace(vns);
    return defaultsView(vns, ns.spec.deploymentDefaults, new Date(ns.metadata.creationTimestamp ?? 0).toISOString());
  }

  /** PATCH: a merge patch onto the current defaults; applies to Deployments created from now on. */
  async patch(vns: string, body: unknown) {
    const ns = await retryingConflicts(async () => {
      const current = await this.#namespace(vns);
      const next = patchedDefaults(vns, current.spec.deploymentDefaults, body, now());
      return this.crs.namespaces.replace({ ...current, spec: { ...current.spec, deploymentDefaults: next } });
    });
    return defaultsView(vns, ns.spec.deploymentDefaults, new Date(ns.metadata.creationTimestamp ?? 0).toISOString());
  }
}
