import type { CUSTOM_RESOURCE_STATES, Condition, Cr, DeploymentStatus, Json, SavepointSpec, UserMetadata } from '../model/index.js';

/**
 * The user-facing `VvpDeployment` custom resource as the operator reads and
 * writes it, and the annotations that tie it to the Deployment it manages.
 */

/** VVP's `spec.deployment`: a VVP Deployment's user metadata and spec. */
export interface CrDeployment extends Json {
  apiVersion?: string;
  kind?: string;
  /** Other keys are not synced (and erased on write-back). */
  userMetadata?: Json & Partial<UserMetadata>;
  spec?: Json;
}

export interface VvpDeploymentSpec extends Json {
  syncingMode?: 'PATCH' | 'PUT';
  deployment: CrDeployment;
  initFields?: { userMetadata?: Json & Partial<UserMetadata>; spec?: Json };
  initialSavepointSpec?: InitialSavepoint;
}

/** A savepoint a CR's Deployment is to be restored from when it is created. */
export type InitialSavepoint = Pick<SavepointSpec, 'savepointLocation' | 'flinkSavepointId'>;

export type CustomResourceState = (typeof CUSTOM_RESOURCE_STATES)[number];

export interface CustomResourceStatus {
  customResourceState: CustomResourceState;
  deploymentId?: string;
  observedSpecState?: string;
  statusState?: string;
  vvpNamespace?: string;
}

export interface DeploymentSystemMetadata {
  id: string;
  createdAt: string;
  modifiedAt: string;
  resourceVersion: number;
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

export interface VvpDeploymentStatus {
  /** The generation whose spec was last synced into the Deployment (set only on success). */
  observedGeneration?: number;
  deploymentStatus?: Partial<DeploymentStatus>;
  deploymentSystemMetadata?: DeploymentSystemMetadata;
  customResourceStatus?: CustomResourceStatus;
  conditions?: Condition[];
}

export type VvpDeploymentCr = Cr<{ spec: VvpDeploymentSpec; status?: VvpDeploymentStatus }>;

/** Annotations the operator reads or writes. */
export const ANNOTATIONS = {
  /** On the FlinkDeployment object (Kubernetes metadata): `<k8s-namespace>/<cr-name>` of the CR that manages it. */
  managedBy: 'sluice.dev/managed-by-cr',
  /** On the FlinkDeployment object: an initial savepoint still to be recorded (JSON of initialSavepointSpec). */
  initialSavepoint: 'sluice.dev/initial-savepoint',
  /** `"false"` on the Deployment's VVP annotations or on the CR's metadata turns CR syncing off. */
  crSyncing: 'sluice.dev/cr-syncing',
  /** On the CR: an API token. */
  apikey: 'apikey',
  /** On the CR: the Secret in the CR's namespace whose key `apikey` holds the API token. */
  apikeySecretName: 'apikeySecretName',
} as const;

/** The annotations VVP controls and a CR may not set. */
export const PLATFORM_ANNOTATIONS = {
  specVersion: 'com.dataartisans.appmanager.controller.deployment.spec.version',
  transitioning: 'com.dataartisans.appmanager.controller.deployment.transitioning',
  transitioningSince: 'com.dataartisans.appmanager.controller.deployment.transitioning.since',
} as const;

/** The keys of `spec.deployment.userMetadata` that are synced; others are erased. */
export const USER_METADATA_KEYS = ['name', 'namespace', 'displayName', 'labels', 'annotations'] as const;

export interface CrRef {
  namespace: string;
  name: string;
}

export const managedByValue = (ref: CrRef) => `${ref.namespace}/${ref.name}`;

/** The CR a `sluice.dev/managed-by-cr` annotation names, if well-formed. */
export function parseManagedBy(value: string | undefined): CrRef | undefined {
  const m = value ? /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([^/]+)$/.exec(value) : null;
  return m ? { namespace: m[1]!, name: m[3]! } : undefined;
}

export const sameRef = (a: CrRef | undefined, b: CrRef | undefined) => !!a && !!b && a.namespace === b.namespace && a.name === b.name;

/** The key of the lock that serialises all steps for one CR (CR events and its Deployment's events). */
export const crLockKey = (ref: CrRef) => `vvpdeployment/${ref.namespace}/${ref.name}`;
