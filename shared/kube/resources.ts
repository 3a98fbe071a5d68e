/** The Kubernetes resource types Sluice's functions watch or write. */
export interface ResourceType {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export const SLUICE_GROUP = 'sluice.dev';
export const SLUICE_API_VERSION = `${SLUICE_GROUP}/v1alpha1`;
const sluice = (kind: string, plural: string): ResourceType => ({ apiVersion: SLUICE_API_VERSION, kind, plural, namespaced: true });

export const VNAMESPACES = sluice('VNamespace', 'vnamespaces');
export const DEPLOYMENT_TARGETS = sluice('DeploymentTarget', 'deploymenttargets');
export const FLINK_DEPLOYMENTS = sluice('FlinkDeployment', 'flinkdeployments');
export const FLINK_JOBS = sluice('FlinkJob', 'flinkjobs');
export const SAVEPOINTS = sluice('Savepoint', 'savepoints');
export const VVP_DEPLOYMENTS: ResourceType = {
  apiVersion: 'ververica.platform/v1',
  kind: 'VvpDeployment',
  plural: 'vvpdeployments',
  namespaced: true,
};
export const PODS: ResourceType = { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };

export const groupOf = (r: ResourceType) => (r.apiVersion.includes('/') ? r.apiVersion.split('/')[0]! : '');

/**
 * Metadata that makes an object owned by a FlinkDeployment: deleting the Deployment deletes it.
 * Nothing while the Deployment has no uid (not created yet).
 */
export function ownedByDeployment(deployment: { name?: string; uid?: string } | undefined): {
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
} {
  if (!deployment?.uid) return {};
  return {
    ownerReferences: [
      { apiVersion: FLINK_DEPLOYMENTS.apiVersion, kind: FLINK_DEPLOYMENTS.kind, name: deployment.name!, uid: deployment.uid },
    ],
  };
}
