import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * Validation of answers against VVP's own Swagger definitions (test/fixtures/vvp-api/).
 * Swagger's formats are checked (uuid, date-time, int32, double). VVP's definitions leave
 * objects open; `closed` lists the definitions in which an unknown field fails too, so
 * that a field Sluice puts elsewhere than VVP (spec.deploymentId for metadata.deploymentId)
 * is caught, not silently allowed. Left open: Sluice's documented additions (a Job's
 * status.pods, a Deployment's status.failure, a Deployment Target's status) and the
 * definitions whose fields VVP's Swagger leaves out (an Artifact's, a Deployment spec's
 * deploymentTargetName; docs/vvp-api.md).
 */
type Swagger = { definitions: Record<string, Record<string, unknown>> };

const load = (file: string) => JSON.parse(readFileSync(new URL(`../fixtures/vvp-api/${file}`, import.meta.url), 'utf8')) as Swagger;

const CLOSED = new Set([
  'Savepoint',
  'SavepointMetadata',
  'SavepointSpec',
  'SavepointStatus',
  'Job',
  'JobMetadata',
  'JobSpec',
  'JobStatusStarted',
  'JobDeploymentTarget',
  'KubernetesTarget',
  'Event',
  'EventMetadata',
  'EventSpec',
  'SecretValue',
  'SecretValueMetadata',
  'SecretValueSpec',
  'DeploymentDefaults',
  'DeploymentDefaultsMetadata',
  'DeploymentTargetMetadata',
  'DeploymentTargetSpec',
  'DeploymentTemplate',
  'DeploymentTemplateMetadata',
  'Logging',
  'Deployment',
  'DeploymentStatusRunning',
  'DeploymentCondition',
  'Failure',
  'SystemInformation',
  'SystemInformationStatus',
  'RevisionInformation',
  'ResourceListOfDeployment',
  'ResourceListOfDeploymentTarget',
  'ResourceListOfEvent',
  'ResourceListOfJob',
  'ResourceListOfSavepoint',
  'ResourceListOfSecretValue',
  // The Platform API's.
  'Namespace',
  'RoleBinding',
  'ApiToken',
  'ListNamespacesResponse',
  'CreateNamespaceResponse',
  'GetNamespaceResponse',
  'UpdateNamespaceResponse',
  'DeleteNamespaceResponse',
  'ListApiTokensResponse',
  'CreateApiTokenResponse',
  'GetApiTokenResponse',
]);

function schemaDocument(doc: Swagger, id: string): object {
  const definitions = Object.fromEntries(
    Object.entries(doc.definitions).map(([name, def]) => [
      name,
      CLOSED.has(name) && def.properties ? { ...def, additionalProperties: false } : def,
    ]),
  );
  return { $id: id, definitions };
}

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
ajv.addFormat(
  'date-time',
  (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)),
);
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
ajv.addFormat('double', { type: 'number', validate: () => true });
ajv.addSchema(schemaDocument(load('appmanager-api-swagger.json'), 'appmanager'));
ajv.addSchema(schemaDocument(load('platform-api-swagger.json'), 'platform'));

const cache = new Map<string, ValidateFunction>();

/**
 * Problems of `value` as the response schema an operation of VVP's `api` declares (a `$ref`
 * into that API's definitions, or an inline schema), or [] when it is valid.
 */
export function vvpResponseProblems(api: 'appmanager' | 'platform', schema: object, value: unknown): string[] {
  const ref = (schema as { $ref?: string }).$ref?.match(/^#\/definitions\/(\w+)$/)?.[1];
  if (ref) return vvpProblems(api === 'platform' ? `platform:${ref}` : ref, value);
  const key = `${api}:${JSON.stringify(schema)}`;
  let validate = cache.get(key);
  if (!validate) {
    validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/definitions/', `"${api}#/definitions/`)) as object);
    cache.set(key, validate);
  }
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

/** Problems of `value` as VVP's definition `name` (Application Manager API, or `platform:` prefixed), or [] when it is valid. */
export function vvpProblems(name: string, value: unknown): string[] {
  const [doc, def] = name.startsWith('platform:') ? ['platform', name.slice('platform:'.length)] : ['appmanager', name];
  const key = `${doc}#/definitions/${def}`;
  let validate = cache.get(key);
  if (!validate) {
    validate = ajv.getSchema(key);
    if (!validate) throw new Error(`no definition ${def} in the ${doc} API`);
    cache.set(key, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (e) =>
      `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? `: ${String(e.params.additionalProperty)}` : ''}`,
  );
}
