import { LABELS, savepointObjectName } from '../model/naming.js';
import { SAVEPOINTS, ownedByDeployment } from '../kube/resources.js';
import type { DeploymentResource, SavepointResource } from '../model/index.js';
import { PURPOSE_ANNOTATION } from './savepoint-directory.js';

/**
 * A Savepoint record as Sluice stores it, owned by its Deployment when it has one, so that
 * deleting the Deployment removes its records (never the savepoint data). `purpose` marks a
 * savepoint Sluice takes; one imported by a user has none.
 */
export function savepointRecord(o: {
  vns: string;
  id: string;
  /** Sluice's platform namespace, where the record lives. */
  namespace: string;
  deployment?: DeploymentResource | undefined;
  spec: SavepointResource['spec']['spec'];
  /** The user's annotations (VVP's metadata.annotations). */
  annotations?: Record<string, string>;
  purpose?: string;
  now: string;
}): SavepointResource {
  const { vns, id, spec, now } = o;
  return {
    apiVersion: SAVEPOINTS.apiVersion,
    kind: SAVEPOINTS.kind,
    metadata: {
      name: savepointObjectName(vns, id),
      namespace: o.namespace,
      labels: { [LABELS.vnamespace]: vns, [LABELS.id]: id, ...(spec.deploymentId ? { [LABELS.deploymentId]: spec.deploymentId } : {}) },
      ...(o.purpose ? { annotations: { [PURPOSE_ANNOTATION]: o.purpose } } : {}),
      ...ownedByDeployment(o.deployment?.metadata),
    },
    spec: {
      metadata: { id, name: id, namespace: vns, ...(o.annotations ? { annotations: o.annotations } : {}), createdAt: now, modifiedAt: now },
      spec,
    },
  };
}
