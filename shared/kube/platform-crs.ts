import type { DeploymentResource, JobResource, NamespaceResource, SavepointResource, TargetResource } from '../model/index.js';
import type { Kube } from './client.js';
import { CrClient } from './cr-client.js';
import { DEPLOYMENT_TARGETS, FLINK_DEPLOYMENTS, FLINK_JOBS, SAVEPOINTS, VNAMESPACES } from './resources.js';

/** Sluice's custom resources in the platform namespace, one typed client per kind. */
export class PlatformCrs {
  readonly namespaces: CrClient<NamespaceResource>;
  readonly targets: CrClient<TargetResource>;
  readonly deployments: CrClient<DeploymentResource>;
  readonly jobs: CrClient<JobResource>;
  readonly savepoints: CrClient<SavepointResource>;

  constructor(kube: Kube, platformNamespace: string) {
    this.namespaces = new CrClient(kube, VNAMESPACES, platformNamespace);
    this.targets = new CrClient(kube, DEPLOYMENT_TARGETS, platformNamespace);
    this.deployments = new CrClient(kube, FLINK_DEPLOYMENTS, platformNamespace);
    this.jobs = new CrClient(kube, FLINK_JOBS, platformNamespace);
    this.savepoints = new CrClient(kube, SAVEPOINTS, platformNamespace);
  }
}
