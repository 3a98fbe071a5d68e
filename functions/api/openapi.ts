import { z } from 'zod';
import {
  ApiToken,
  Deployment,
  DeploymentDefaults,
  DeploymentDefaultsInput,
  DeploymentInput,
  DeploymentTarget,
  DeploymentTargetInput,
  Job,
  Namespace,
  ROLES,
  NamespaceInput,
  Savepoint,
  SavepointInput,
} from '../../shared/model/index.js';

const schema = (s: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _s, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (s: object) => ({ content: { 'application/json': { schema: s }, 'application/yaml': { schema: s } } });
const ok = (s: object, status = '200', description = 'OK') => ({ [status]: { description, ...json(s) } });
const errors = {
  '400': { description: 'Invalid input: the message names the field at fault', ...json(ref('Error')) },
  '401': { description: 'No valid API token', ...json(ref('Error')) },
  '403': { description: 'The token lacks the role', ...json(ref('Error')) },
  '404': { description: "Not found (also: another tenant's resource)", ...json(ref('Error')) },
  '409': { description: 'Conflict: stale resourceVersion, name taken, or still referenced', ...json(ref('Error')) },
};
const list = (item: string) => ({
  type: 'object',
  properties: { kind: { const: 'ResourceList' }, apiVersion: { const: 'v1' }, items: { type: 'array', items: ref(item) } },
});
const nsParam = { name: 'ns', in: 'path', required: true, schema: { type: 'string' }, description: 'vNamespace' };
const idParam = (name: string, description: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });

const query = (name: string, description: string, format?: string) => ({
  name,
  in: 'query',
  schema: { type: 'string', ...(format ? { format } : {}) },
  description,
});
const byDeployment = query('deploymentId', "only this Deployment's", 'uuid');
const byJob = query('jobId', "only this Job's", 'uuid');

function crud(
  kind: string,
  input: string,
  opts: { put?: boolean; patch?: boolean; del?: boolean; post?: boolean; filters?: object[] } = {},
) {
  const item: Record<string, unknown> = {
    get: { summary: `Get a ${kind}`, responses: { ...ok(ref(kind)), ...errors } },
  };
  if (opts.put) item.put = { summary: `Replace a ${kind}`, requestBody: json(ref(input)), responses: { ...ok(ref(kind)), ...errors } };
  if (opts.patch)
    item.patch = {
      summary: `Change a ${kind} (JSON merge patch of {metadata, spec})`,
      requestBody: json({ type: 'object' }),
      responses: { ...ok(ref(kind)), ...errors },
    };
  if (opts.del) item.delete = { summary: `Delete a ${kind}`, responses: { ...ok(ref(kind)), ...errors } };
  const collection: Record<string, unknown> = {
    get: { summary: `List ${kind}s`, ...(opts.filters ? { parameters: opts.filters } : {}), responses: { ...ok(list(kind)), ...errors } },
  };
  if (opts.post !== false)
    collection.post = {
      summary: `Create a ${kind}`,
      requestBody: json(ref(input)),
      responses: { ...ok(ref(kind), '201', 'Created'), ...errors },
    };
  return { collection, item };
}

let cached: object | undefined;

/** OpenAPI 3.1 for VVP's REST paths, its schemas generated from the same zod schemas that validate requests. */
export function openApiDocument(): object {
  if (cached) return cached;
  const targets = crud('DeploymentTarget', 'DeploymentTargetInput', { put: true, del: true });
  const deployments = crud('Deployment', 'DeploymentInput', {
    put: true,
    patch: true,
    del: true,
    filters: [query('labelSelector', "only those whose labels match this Kubernetes label selector (e.g. 'team=a,env in (prod)')")],
  });
  const jobs = crud('Job', 'Job', { post: false, filters: [byDeployment] });
  const savepoints = crud('Savepoint', 'SavepointInput', { filters: [byDeployment, byJob] });
  const withParams = (o: Record<string, unknown>, params: object[]) => ({ parameters: params, ...o });
  cached = {
    openapi: '3.1.0',
    info: { title: 'Sluice (Ververica Platform compatible) API', version: 'v1' },
    security: [{ bearer: [] }],
    paths: {
      '/namespaces/v1/namespaces': {
        get: {
          summary: 'List the namespaces the caller can see',
          responses: ok({ type: 'object', properties: { namespaces: { type: 'array', items: ref('Namespace') } } }),
        },
        post: {
          summary: 'Create a namespace (admin)',
          requestBody: json(ref('NamespaceInput')),
          responses: { ...ok({ type: 'object', properties: { namespace: ref('Namespace') } }, '201'), ...errors },
        },
      },
      '/namespaces/v1/namespaces/{ns}': withParams(
        {
          get: {
            summary: 'Get a namespace',
            responses: { ...ok({ type: 'object', properties: { namespace: ref('Namespace') } }), ...errors },
          },
          put: {
            summary: 'Change role bindings (owner, admin)',
            requestBody: json(ref('NamespaceInput')),
            responses: { ...ok({ type: 'object', properties: { namespace: ref('Namespace') } }), ...errors },
          },
          delete: {
            summary: 'Delete an empty namespace (admin)',
            responses: { ...ok({ type: 'object', properties: { namespace: ref('Namespace') } }), ...errors },
          },
        },
        [nsParam],
      ),
      '/apitokens/v1/namespaces/{ns}/apitokens': withParams(
        {
          get: {
            summary: 'List API tokens (owner)',
            responses: { ...ok({ type: 'object', properties: { apiTokens: { type: 'array', items: ref('ApiToken') } } }), ...errors },
          },
          post: {
            summary: 'Create an API token (owner); the secret is returned once',
            requestBody: json({
              type: 'object',
              required: ['name', 'role'],
              properties: { name: { type: 'string' }, role: { enum: [...ROLES] } },
            }),
            responses: { ...ok({ type: 'object', properties: { apiToken: ref('ApiToken') } }, '201'), ...errors },
          },
        },
        [nsParam],
      ),
      '/apitokens/v1/namespaces/{ns}/apitokens/{name}': withParams(
        {
          get: {
            summary: 'Get an API token (without its secret)',
            responses: { ...ok({ type: 'object', properties: { apiToken: ref('ApiToken') } }), ...errors },
          },
          delete: {
            summary: 'Revoke an API token',
            responses: { ...ok({ type: 'object', properties: { apiToken: ref('ApiToken') } }), ...errors },
          },
        },
        [nsParam, idParam('name', 'token name')],
      ),
      '/api/v1/namespaces/{ns}/deployment-targets': withParams(targets.collection, [nsParam]),
      '/api/v1/namespaces/{ns}/deployment-targets/{name}': withParams(targets.item, [nsParam, idParam('name', 'name or id')]),
      '/api/v1/namespaces/{ns}/deployments': withParams(deployments.collection, [nsParam]),
      '/api/v1/namespaces/{ns}/deployments/{id}': withParams(deployments.item, [nsParam, idParam('id', 'id or name')]),
      '/api/v1/namespaces/{ns}/jobs': withParams(jobs.collection, [nsParam]),
      '/api/v1/namespaces/{ns}/jobs/{id}': withParams(jobs.item, [nsParam, idParam('id', 'job id')]),
      '/api/v1/namespaces/{ns}/savepoints': withParams(savepoints.collection, [nsParam]),
      '/api/v1/namespaces/{ns}/savepoints/{id}': withParams(savepoints.item, [nsParam, idParam('id', 'savepoint id')]),
      '/api/v1/namespaces/{ns}/events': {
        parameters: [nsParam],
        get: {
          summary: "A vNamespace's Deployment events, oldest first (VVP's Event)",
          parameters: [byDeployment, byJob],
          responses: { ...ok(list('Event')), ...errors },
        },
      },
      '/api/v1/namespaces/{ns}/deployment-defaults': {
        parameters: [nsParam],
        get: { summary: "The vNamespace's Deployment Defaults", responses: { ...ok(ref('DeploymentDefaults')), ...errors } },
        patch: {
          summary: 'Change the Deployment Defaults (JSON merge patch of {metadata, spec}); they apply to Deployments created afterwards',
          requestBody: json(ref('DeploymentDefaultsInput')),
          responses: { ...ok(ref('DeploymentDefaults')), ...errors },
        },
      },
      '/api/v1/namespaces/{ns}/secret-values': {
        parameters: [nsParam],
        get: {
          summary: "The vNamespace's Secret Values (names and metadata; values are never answered)",
          responses: { ...ok(list('SecretValue')), ...errors },
        },
        post: {
          summary: 'Create a Secret Value (spec.value is write-only)',
          requestBody: json(ref('SecretValueInput')),
          responses: { ...ok(ref('SecretValue'), '201', 'Created'), ...errors },
        },
      },
      '/api/v1/namespaces/{ns}/secret-values/{name}': {
        parameters: [nsParam, idParam('name', 'secret value name')],
        get: { summary: 'Get a Secret Value (without its value)', responses: { ...ok(ref('SecretValue')), ...errors } },
        patch: {
          summary: 'Change a Secret Value: its value, labels or annotations',
          requestBody: json(ref('SecretValueInput')),
          responses: { ...ok(ref('SecretValue')), ...errors },
        },
        delete: { summary: 'Delete a Secret Value', responses: { ...ok(ref('SecretValue')), ...errors } },
      },
      '/api/v1/status': { get: { summary: 'Service status', security: [], responses: ok({ type: 'object' }) } },
      '/api/v1/status/system-info': {
        get: {
          summary: 'Build, runtime and resource quota (VVP SystemInformation)',
          responses: {
            ...ok({
              type: 'object',
              properties: { kind: { const: 'SystemInformation' }, apiVersion: { const: 'v1' }, status: { type: 'object' } },
            }),
            ...errors,
          },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: { type: 'object', properties: { kind: { const: 'Error' }, status: { type: 'integer' }, message: { type: 'string' } } },
        SecretValue: {
          type: 'object',
          properties: {
            kind: { const: 'SecretValue' },
            apiVersion: { const: 'v1' },
            metadata: {
              type: 'object',
              properties: {
                id: { type: 'string', format: 'uuid' },
                name: { type: 'string' },
                namespace: { type: 'string' },
                labels: { type: 'object', additionalProperties: { type: 'string' } },
                annotations: { type: 'object', additionalProperties: { type: 'string' } },
                createdAt: { type: 'string', format: 'date-time' },
                modifiedAt: { type: 'string', format: 'date-time' },
                resourceVersion: { type: 'integer' },
              },
            },
            spec: { type: 'object', properties: { kind: { enum: ['Plain'] } } },
          },
        },
        SecretValueInput: {
          type: 'object',
          properties: {
            kind: { const: 'SecretValue' },
            apiVersion: { const: 'v1' },
            metadata: {
              type: 'object',
              properties: {
                name: { type: 'string', maxLength: 63 },
                labels: { type: 'object' },
                annotations: { type: 'object' },
                resourceVersion: { type: 'integer' },
              },
            },
            spec: { type: 'object', properties: { kind: { enum: ['Plain'] }, value: { type: 'string', writeOnly: true } } },
          },
        },
        Event: {
          type: 'object',
          properties: {
            kind: { const: 'Event' },
            apiVersion: { const: 'v1' },
            metadata: {
              type: 'object',
              properties: {
                id: { type: 'string', format: 'uuid' },
                name: { type: 'string', description: "VVP's event name, e.g. JOB_SUCCESSFULLY_STARTED" },
                namespace: { type: 'string' },
                deploymentId: { type: 'string', format: 'uuid' },
                jobId: { type: 'string', format: 'uuid' },
                createdAt: { type: 'string', format: 'date-time' },
                resourceVersion: { type: 'integer' },
              },
            },
            spec: { type: 'object', properties: { message: { type: 'string' } } },
          },
        },
        Namespace: schema(Namespace, 'output'),
        NamespaceInput: schema(NamespaceInput, 'input'),
        ApiToken: schema(ApiToken, 'output'),
        DeploymentTarget: schema(DeploymentTarget, 'output'),
        DeploymentTargetInput: schema(DeploymentTargetInput, 'input'),
        Deployment: schema(Deployment, 'output'),
        DeploymentDefaults: schema(DeploymentDefaults, 'output'),
        DeploymentDefaultsInput: schema(DeploymentDefaultsInput, 'input'),
        DeploymentInput: schema(DeploymentInput, 'input'),
        Job: schema(Job, 'output'),
        Savepoint: schema(Savepoint, 'output'),
        SavepointInput: schema(SavepointInput, 'input'),
      },
    },
  };
  return cached;
}
