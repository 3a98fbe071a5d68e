import { z } from 'zod';
import {
  Condition,
  CoercedStringMap,
  DateTime,
  Failure,
  KubeObject,
  Metadata,
  MetadataInput,
  ResourceName,
  StringMap,
  Uuid,
  appResource,
  appResourceInput,
  int32,
} from './common.js';
import { templateProblems } from '../vvp/flink-resources.js';

/**
 * A VVP Deployment, field for field the `spec` of the operator's CR schema. Ranges are
 * tighter than the CR schema's bare int32 where a value below them is meaningless (a parallelism
 * of 0): better a 4xx naming the field than a job that cannot start.
 */

export const DESIRED_STATES = ['RUNNING', 'SUSPENDED', 'CANCELLED'] as const;
export const DEPLOYMENT_STATES = ['RUNNING', 'SUSPENDED', 'CANCELLED', 'TRANSITIONING', 'FAILED', 'FINISHED'] as const;
export const UPGRADE_STRATEGIES = ['STATELESS', 'STATEFUL', 'NONE'] as const;
export const RESTORE_STRATEGIES = ['LATEST_SAVEPOINT', 'LATEST_STATE', 'NONE'] as const;
export const ARTIFACT_KINDS = ['JAR', 'PYTHON', 'SQLSCRIPT'] as const;

export const DesiredState = z.enum(DESIRED_STATES);
export const DeploymentState = z.enum(DEPLOYMENT_STATES);

/** The operator's CR schema spells the SQL kind `sqlscript`; VVP's API says SQLSCRIPT. Both are accepted, stored as SQLSCRIPT. */
export const ArtifactKind = z.preprocess((v) => (v === 'sqlscript' ? 'SQLSCRIPT' : v), z.enum(ARTIFACT_KINDS));

/** What each artifact kind cannot do without (the CR schema's `anyOf`). */
const ARTIFACT_REQUIRES = { JAR: 'jarUri', PYTHON: 'pythonArtifactUri', SQLSCRIPT: 'sqlScript' } as const;

export const Artifact = z
  .strictObject({
    kind: ArtifactKind,
    jarUri: z.string().min(1).optional(),
    pythonArtifactUri: z.string().min(1).optional(),
    sqlScript: z.string().min(1).optional(),
    entryClass: z.string().optional(),
    entryModule: z.string().optional(),
    mainArgs: z.string().optional(),
    flinkVersion: z.string().optional(),
    flinkImageRegistry: z.string().optional(),
    flinkImageRepository: z.string().optional(),
    flinkImageTag: z.string().optional(),
    additionalDependencies: z.array(z.string()).optional(),
    additionalPythonArchives: z.array(z.string()).optional(),
    additionalPythonLibraries: z.array(z.string()).optional(),
    uri: z.string().optional(),
    artifactKind: z.enum(['PYTHON', 'SQLSCRIPT', 'JAR', 'UNKNOWN']).optional(),
  })
  .superRefine((a, ctx) => {
    const field = ARTIFACT_REQUIRES[a.kind];
    if (a[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `required when kind is ${a.kind}` });
  });

/**
 * Memory as Flink and VVP write it: a number with an optional binary unit, e.g. 1G, 1024m,
 * 1.5g, 2Gi, 512mb; a bare number is bytes. Units k/m/g/t are powers of 1024, as in Flink.
 */
export const Memory = z
  .string()
  .regex(/^\d+(\.\d+)?\s*([kmgtKMGT][iI]?)?[bB]?$/, 'must be a size such as 1G, 1024m or 2Gi')
  .refine((s) => parseFloat(s) > 0, 'must be greater than 0');

export const ResourceSpec = z.strictObject({
  cpu: z.number().min(0.1),
  memory: Memory,
});

export const Resources = z.strictObject({
  jobmanager: ResourceSpec.optional(),
  taskmanager: ResourceSpec.optional(),
});

export const EnvVar = z.strictObject({
  name: z.string().min(1),
  value: z.string().optional(),
  valueFrom: KubeObject.optional(),
});

export const VolumeMount = z.strictObject({
  name: z.string().min(1),
  volume: KubeObject.optional(),
  volumeMount: KubeObject.optional(),
});

export const Pods = z.strictObject({
  annotations: StringMap.optional(),
  labels: StringMap.optional(),
  nodeSelector: StringMap.optional(),
  tolerations: z.array(KubeObject).optional(),
  affinity: KubeObject.optional(),
  securityContext: KubeObject.optional(),
  serviceAccountName: z.string().optional(),
  imagePullSecrets: z.array(z.strictObject({ name: z.string().min(1) })).optional(),
  envVars: z.array(EnvVar).optional(),
  volumeMounts: z.array(VolumeMount).optional(),
});

/** A Kubernetes pod template (metadata and spec), passed through as given. */
export const PodTemplate = z.looseObject({
  metadata: KubeObject.optional(),
  spec: KubeObject.optional(),
});

export const KubernetesSettings = z.strictObject({
  pods: Pods.optional(),
  jobManagerPodTemplate: PodTemplate.optional(),
  taskManagerPodTemplate: PodTemplate.optional(),
  labels: StringMap.optional(),
});

export const Logging = z.strictObject({
  log4jLoggers: CoercedStringMap.optional(),
  loggingProfile: z.string().optional(),
  log4j2ConfigurationTemplate: z.string().optional(),
});

export const TemplateSpec = z.strictObject({
  artifact: Artifact,
  parallelism: int32(1).optional(),
  numberOfTaskManagers: int32(1).optional(),
  resources: Resources.optional(),
  flinkConfiguration: CoercedStringMap.optional(),
  kubernetes: KubernetesSettings.optional(),
  logging: Logging.optional(),
  latestCheckpointFetchInterval: int32(0).optional(),
});

export const DeploymentTemplate = z.strictObject({
  metadata: z.strictObject({ annotations: StringMap.optional() }).optional(),
  spec: TemplateSpec,
});

export const UpgradeStrategy = z.strictObject({ kind: z.enum(UPGRADE_STRATEGIES).optional() });
export const RestoreStrategy = z.strictObject({
  kind: z.enum(RESTORE_STRATEGIES).optional(),
  allowNonRestoredState: z.boolean().optional(),
});

/** The Deployment spec's fields, without the cross-field rules (zod cannot extend a refined object). */
export const DeploymentSpecFields = z.strictObject({
  state: DesiredState,
  upgradeStrategy: UpgradeStrategy.optional(),
  restoreStrategy: RestoreStrategy.optional(),
  deploymentTargetId: Uuid.optional(),
  deploymentTargetName: ResourceName.optional(),
  sessionClusterName: ResourceName.optional(),
  jobFailureExpirationTime: z.string().optional(),
  maxJobCreationAttempts: int32(1).optional(),
  maxSavepointCreationAttempts: int32(1).optional(),
  template: DeploymentTemplate,
});

type SpecFields = z.infer<typeof DeploymentSpecFields>;

/** Cross-field rules of a Deployment spec; each issue names the fields involved. */
export function deploymentSpecRules(s: SpecFields, ctx: z.RefinementCtx): void {
  if (s.upgradeStrategy?.kind === 'STATEFUL' && s.restoreStrategy?.kind === 'NONE') {
    ctx.addIssue({
      code: 'custom',
      path: ['restoreStrategy', 'kind'],
      message:
        'NONE cannot be combined with upgradeStrategy.kind STATEFUL (a stateful upgrade restores the state it saved): use LATEST_SAVEPOINT or LATEST_STATE, or upgradeStrategy.kind STATELESS',
    });
  }
  const target = s.deploymentTargetId !== undefined || s.deploymentTargetName !== undefined;
  if (!target && s.sessionClusterName === undefined) {
    ctx.addIssue({ code: 'custom', path: [], message: 'names no deployment target: set deploymentTargetName or deploymentTargetId' });
  }
  for (const message of templateProblems(s.template.spec, s.restoreStrategy?.kind)) {
    ctx.addIssue({ code: 'custom', path: ['template', 'spec'], message });
  }
  if (target && s.sessionClusterName !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['sessionClusterName'],
      message:
        'cannot be combined with deploymentTargetName/deploymentTargetId: a deployment runs either on a target or in a session cluster',
    });
  }
}

export const DeploymentSpec = DeploymentSpecFields.superRefine(deploymentSpecRules);

export const DeploymentStatus = z.strictObject({
  state: DeploymentState,
  running: z
    .strictObject({
      jobId: Uuid,
      transitionTime: DateTime.optional(),
      conditions: z.array(Condition).optional(),
    })
    .optional(),
  /** Why the deployment is FAILED (patch set failed, job failed too often, ...). */
  failure: Failure.optional(),
});

export const Deployment = appResource('Deployment', Metadata, DeploymentSpec, DeploymentStatus);
/** POST/PUT body. A PATCH body is merged into the stored Deployment first, and the result validated with this. */
export const DeploymentInput = appResourceInput('Deployment', MetadataInput, DeploymentSpec);

export type DesiredState = z.infer<typeof DesiredState>;
export type DeploymentState = z.infer<typeof DeploymentState>;
export type ArtifactKind = z.infer<typeof ArtifactKind>;
export type Artifact = z.infer<typeof Artifact>;
export type ResourceSpec = z.infer<typeof ResourceSpec>;
export type Resources = z.infer<typeof Resources>;
export type EnvVar = z.infer<typeof EnvVar>;
export type VolumeMount = z.infer<typeof VolumeMount>;
export type Pods = z.infer<typeof Pods>;
export type PodTemplate = z.infer<typeof PodTemplate>;
export type KubernetesSettings = z.infer<typeof KubernetesSettings>;
export type Logging = z.infer<typeof Logging>;
export type TemplateSpec = z.infer<typeof TemplateSpec>;
export type DeploymentTemplate = z.infer<typeof DeploymentTemplate>;
export type UpgradeStrategy = z.infer<typeof UpgradeStrategy>;
export type RestoreStrategy = z.infer<typeof RestoreStrategy>;
export type DeploymentSpec = z.infer<typeof DeploymentSpec>;
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;
export type Deployment = z.infer<typeof Deployment>;
export type DeploymentInput = z.infer<typeof DeploymentInput>;
