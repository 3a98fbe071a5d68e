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
const builtIn = (apiVersion: string, kind: string, plural: string, namespaced = true): ResourceType => ({
  apiVersion,
  kind,
  plural,
  namespaced,
});
export const PODS = builtIn('v1', 'Pod', 'pods');
export const NAMESPACES = builtIn('v1', 'Namespace', 'namespaces', false);
export const SECRETS = builtIn('v1', 'Secret', 'secrets');
export const CONFIG_MAPS = builtIn('v1', 'ConfigMap', 'configmaps');
export const EVENTS = builtIn('v1', 'Event', 'events');
export const SERVICES = builtIn('v1', 'Service', 'services');
export const SERVICE_ACCOUNTS = builtIn('v1', 'ServiceAccount', 'serviceaccounts');
export const JOBS = builtIn('batch/v1', 'Job', 'jobs');
export const DEPLOYMENTS = builtIn('apps/v1', 'Deployment', 'deployments');
export const ROLES = builtIn('rbac.authorization.k8s.io/v1', 'Role', 'roles');
export const ROLE_BINDINGS = builtIn('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings');
export const CRDS = builtIn('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false);
export const PING_SOURCES = builtIn('sources.knative.dev/v1', 'PingSource', 'pingsources');

const KNOWN = [
  VNAMESPACES,
  DEPLOYMENT_TARGETS,
  FLINK_DEPLOYMENTS,
  FLINK_JOBS,
  SAVEPOINTS,
  VVP_DEPLOYMENTS,
  PODS,
  NAMESPACES,
  SECRETS,
  CONFIG_MAPS,
  EVENTS,
  SERVICES,
  SERVICE_ACCOUNTS,
  JOBS,
  DEPLOYMENTS,
  ROLES,
  ROLE_BINDINGS,
  CRDS,
  PING_SOURCES,
];

/**
 * The resource type of an object Sluice writes, by its apiVersion and kind. A fixed table, not
 * API discovery: discovery is a request of its own per kind, and Sluice writes only these.
 */
export function resourceOf(object: { apiVersion?: string; kind?: string }): ResourceType {
  const type = KNOWN.find((r) => r.apiVersion === object.apiVersion && r.kind === object.kind);
  if (!type) throw new Error(`no resource type known for ${object.apiVersion} ${object.kind}`);
  return type;
}

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
