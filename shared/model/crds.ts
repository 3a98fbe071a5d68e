import { stringify } from 'yaml';
import { z } from 'zod';
import { DeploymentTargetCrBody, FlinkDeploymentCrBody, FlinkJobCrBody, SavepointCrBody, VNamespaceCrBody, freeFormInCrd } from './cr.js';
import { DeploymentStatus } from './deployment.js';
import { API_GROUP, API_VERSION } from './naming.js';
import { type Schema, StructuralSchemaError, structuralProblems, toStructural } from './structural.js';
import { VVP_DEPLOYMENT_CR_SCHEMA } from './vvp-deployment-cr-schema.js';

/** A CustomResourceDefinition (apiextensions.k8s.io/v1) as sent over the wire. */
export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[]; categories?: string[] };
    scope: 'Namespaced' | 'Cluster';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: Schema };
      subresources?: { status?: Record<string, never> };
      additionalPrinterColumns?: PrinterColumn[];
    }[];
  };
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

const LABELS = { 'app.kubernetes.io/part-of': 'sluice', 'app.kubernetes.io/managed-by': 'sluice' };
const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

/** A zod schema as a structural OpenAPI v3 schema: zod's OpenAPI 3.0 output, made structural. */
export function zodToStructural(schema: z.ZodType, path = '<root>'): Schema {
  // Output side: what Sluice stores (e.g. the artifact kind after `sqlscript` → SQLSCRIPT).
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'output',
    reused: 'inline',
    cycles: 'throw',
    unrepresentable: 'throw',
    override: ({ zodSchema, jsonSchema }) => {
      if (!freeFormInCrd.has(zodSchema)) return;
      for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Schema)[key];
      Object.assign(jsonSchema, { type: 'object', additionalProperties: {} });
    },
  });
  return toStructural(json as Schema, path);
}

/** The CRD root: Kubernetes' envelope around the body's spec and status. */
function rootSchema(body: Schema, description: string): Schema {
  const props = body.properties as Schema;
  return {
    type: 'object',
    description,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: props.spec,
      ...(props.status ? { status: props.status } : {}),
    },
    required: ['spec'],
  };
}

function assertStructural(crd: CustomResourceDefinition): CustomResourceDefinition {
  for (const v of crd.spec.versions) {
    const problems = structuralProblems(v.schema.openAPIV3Schema);
    if (problems.length > 0) throw new StructuralSchemaError(`${crd.metadata.name}: ${problems.join('; ')}`);
  }
  return crd;
}

interface Definition {
  kind: string;
  plural: string;
  shortNames: string[];
  description: string;
  body: z.ZodType;
  columns: PrinterColumn[];
}

function sluiceCrd(d: Definition): CustomResourceDefinition {
  return assertStructural({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${d.plural}.${API_GROUP}`, labels: { ...LABELS } },
    spec: {
      group: API_GROUP,
      names: {
        kind: d.kind,
        listKind: `${d.kind}List`,
        plural: d.plural,
        singular: d.kind.toLowerCase(),
        shortNames: d.shortNames,
        categories: ['sluice'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: rootSchema(zodToStructural(d.body, d.kind), d.description) },
          subresources: { status: {} },
          additionalPrinterColumns: [...d.columns, AGE],
        },
      ],
    },
  });
}

const DEFINITIONS: Definition[] = [
  {
    kind: 'VNamespace',
    plural: 'vnamespaces',
    shortNames: ['vns'],
    description: 'A Sluice vNamespace (VVP Namespace): a tenant. Named after the vNamespace. Written only by Sluice.',
    body: VNamespaceCrBody,
    columns: [{ name: 'Phase', type: 'string', jsonPath: '.status.lifecyclePhase' }],
  },
  {
    kind: 'DeploymentTarget',
    plural: 'deploymenttargets',
    shortNames: ['sdt'],
    description: 'A VVP DeploymentTarget: binds a vNamespace to a Kubernetes namespace. Written only by Sluice.',
    body: DeploymentTargetCrBody,
    columns: [
      { name: 'Name', type: 'string', jsonPath: '.spec.metadata.name' },
      { name: 'VNamespace', type: 'string', jsonPath: '.spec.metadata.namespace' },
      { name: 'K8s-Namespace', type: 'string', jsonPath: '.spec.spec.kubernetes.namespace', description: 'empty: the platform namespace' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    ],
  },
  {
    kind: 'FlinkDeployment',
    plural: 'flinkdeployments',
    shortNames: ['sfd'],
    description: 'A VVP Deployment: desired state and template of a Flink application. Written only by Sluice.',
    body: FlinkDeploymentCrBody,
    columns: [
      { name: 'Name', type: 'string', jsonPath: '.spec.metadata.name' },
      { name: 'VNamespace', type: 'string', jsonPath: '.spec.metadata.namespace' },
      { name: 'State', type: 'string', jsonPath: '.status.state' },
      { name: 'Desired', type: 'string', jsonPath: '.spec.spec.state' },
      // A printer column has one path: the name, and the id for deployments that give only that.
      { name: 'Target', type: 'string', jsonPath: '.spec.spec.deploymentTargetName' },
      { name: 'Target-ID', type: 'string', jsonPath: '.spec.spec.deploymentTargetId', priority: 1 },
    ],
  },
  {
    kind: 'FlinkJob',
    plural: 'flinkjobs',
    shortNames: ['sfj'],
    description: 'A VVP Job: one execution of a Deployment, with an immutable copy of its effective template. Written only by Sluice.',
    body: FlinkJobCrBody,
    columns: [
      { name: 'Deployment', type: 'string', jsonPath: '.spec.spec.deploymentName' },
      { name: 'VNamespace', type: 'string', jsonPath: '.spec.metadata.namespace', priority: 1 },
      { name: 'State', type: 'string', jsonPath: '.status.state' },
      { name: 'Attempt', type: 'integer', jsonPath: '.spec.spec.attempt', priority: 1 },
    ],
  },
  {
    kind: 'Savepoint',
    plural: 'savepoints',
    shortNames: ['ssp'],
    description: 'A VVP Savepoint: a snapshot location with its origin and state. Written only by Sluice.',
    body: SavepointCrBody,
    columns: [
      { name: 'Origin', type: 'string', jsonPath: '.spec.spec.savepointOrigin' },
      { name: 'State', type: 'string', jsonPath: '.status.state' },
      { name: 'Location', type: 'string', jsonPath: '.spec.spec.savepointLocation' },
    ],
  },
];

/** The CRDs of Sluice's internal resources (group sluice.dev, v1alpha1), generated from the zod schemas. */
export function sluiceCrds(): CustomResourceDefinition[] {
  return DEFINITIONS.map(sluiceCrd);
}

// ---------------------------------------------------------------------------------------
// The user-facing VvpDeployment CRD, from the operator's CR schema.

const clone = <T>(v: T): T => structuredClone(v);
const at = (s: Schema, ...path: string[]): Schema => path.reduce((node, k) => node[k] as Schema, s);

/** A copy without `required` and `anyOf` anywhere: the same fields, all optional (for initFields). */
function partialDeep(s: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'required' || k === 'anyOf') continue;
    if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as Schema).map(([n, p]) => [n, partialDeep(p as Schema)]));
    else if ((k === 'items' || k === 'additionalProperties') && v && typeof v === 'object') out[k] = partialDeep(v as Schema);
    else out[k] = v;
  }
  return out;
}

export const CUSTOM_RESOURCE_STATES = ['SYNCING', 'IDLING'] as const;

/**
 * The operator's CR schema, adjusted only where a CRD needs it or where it contradicts VVP's own example:
 * - `$schema` dropped; `apiVersion` declared; root `metadata` reduced to `type: object`
 *   (a CRD may restrict only metadata.name/generateName: VVP's schema also lists namespace).
 * - `userMetadata.required: [displayName]` dropped: VVP's own example CR gives
 *   displayName only through `initFields`, and that example must be accepted.
 * - `spec.initFields` declared (VVP's example uses it but its schema omits it, and the API server
 *   would prune it): the deployment's `userMetadata` and `spec`, every field optional.
 * - `artifact.kind` is an enum of JAR, PYTHON, SQLSCRIPT and the schema's `sqlscript`; the
 *   `anyOf` branch for SQL scripts accepts either spelling. The fields the `anyOf` branches
 *   name (pythonArtifactUri, sqlScript) are declared outside them, as structural schemas require.
 * - Free-form Kubernetes objects (`type: object` without properties: affinity,
 *   securityContext, tolerations, pod template metadata/spec, valueFrom, volume,
 *   volumeMount) keep their content (`x-kubernetes-preserve-unknown-fields`).
 * - `status` declared (VVP's status example: deploymentStatus, deploymentSystemMetadata,
 *   customResourceStatus), open for further fields Sluice may report.
 */
export function vvpDeploymentSchema(): Schema {
  const schema = clone(VVP_DEPLOYMENT_CR_SCHEMA) as Schema;
  const props = at(schema, 'properties');
  props.apiVersion = { type: 'string' };
  props.metadata = { type: 'object' };
  const deployment = at(props, 'spec', 'properties', 'deployment');
  const userMetadata = at(deployment, 'properties', 'userMetadata');
  delete userMetadata.required;
  const deploymentSpec = at(deployment, 'properties', 'spec');
  const artifact = at(deploymentSpec, 'properties', 'template', 'properties', 'spec', 'properties', 'artifact');
  const artifactProps = at(artifact, 'properties');
  artifactProps.kind = { type: 'string', enum: ['JAR', 'PYTHON', 'SQLSCRIPT', 'sqlscript'] };
  artifactProps.pythonArtifactUri = { type: 'string' };
  artifactProps.sqlScript = { type: 'string' };
  for (const branch of artifact.anyOf as Schema[]) {
    const kind = at(branch, 'properties', 'kind');
    if ((kind.enum as string[]).includes('sqlscript')) kind.enum = ['SQLSCRIPT', 'sqlscript'];
  }
  at(props, 'spec', 'properties').initFields = {
    type: 'object',
    description: 'Applied to spec.deployment once, when the Deployment is created (PATCH mode only).',
    properties: { userMetadata: partialDeep(userMetadata), spec: partialDeep(deploymentSpec) },
  };
  const systemMetadata = partialDeep(userMetadata);
  props.status = {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    properties: {
      deploymentStatus: zodToStructural(DeploymentStatus, 'status.deploymentStatus'),
      deploymentSystemMetadata: systemMetadata,
      customResourceStatus: {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        properties: {
          customResourceState: { type: 'string', enum: [...CUSTOM_RESOURCE_STATES] },
          deploymentId: { type: 'string', format: 'uuid' },
          observedSpecState: { type: 'string', enum: ['RUNNING', 'SUSPENDED', 'CANCELLED'] },
          statusState: { type: 'string', enum: ['RUNNING', 'SUSPENDED', 'CANCELLED', 'TRANSITIONING', 'FAILED', 'FINISHED'] },
          vvpNamespace: { type: 'string' },
        },
      },
    },
  };
  return toStructural(schema);
}

/** The user-facing `VvpDeployment` CRD (`vvpdeployments.ververica.platform`, v1), from VVP's schema. */
export function vvpDeploymentCrd(): CustomResourceDefinition {
  return assertStructural({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'vvpdeployments.ververica.platform', labels: { ...LABELS } },
    spec: {
      group: 'ververica.platform',
      names: {
        kind: 'VvpDeployment',
        listKind: 'VvpDeploymentList',
        plural: 'vvpdeployments',
        singular: 'vvpdeployment',
        shortNames: ['vvpdep'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: vvpDeploymentSchema() },
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'VVP-Namespace', type: 'string', jsonPath: '.spec.deployment.userMetadata.namespace' },
            { name: 'Deployment', type: 'string', jsonPath: '.spec.deployment.userMetadata.name' },
            { name: 'Desired', type: 'string', jsonPath: '.spec.deployment.spec.state' },
            { name: 'State', type: 'string', jsonPath: '.status.deploymentStatus.state' },
            { name: 'Sync', type: 'string', jsonPath: '.status.customResourceStatus.customResourceState' },
            AGE,
          ],
        },
      ],
    },
  });
}

/** Every CRD Sluice installs: its internal ones and VvpDeployment. */
export function allCrds(): CustomResourceDefinition[] {
  return [...sluiceCrds(), vvpDeploymentCrd()];
}

/** All CRDs as one multi-document YAML file (for `knative/`), without anchors or aliases. */
export function crdsAsYaml(crds: CustomResourceDefinition[] = allCrds()): string {
  const header = "# Generated from shared/model (zod schemas and the operator's CR schema) by crdsAsYaml(); do not edit.\n";
  return header + crds.map((c) => `---\n${stringify(c, { aliasDuplicateObjects: false, lineWidth: 0 })}`).join('');
}
