import { randomUUID } from 'node:crypto';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  type CustomResourceDefinition,
  VVP_DEPLOYMENT_CR_SCHEMA,
  allCrds,
  crdsAsYaml,
  sluiceCrds,
  structuralProblems,
  toStructural,
  vvpDeploymentCrd,
  vvpDeploymentSchema,
} from '../../shared/model/index.js';
import type { Schema } from '../../shared/model/structural.js';
import { ajvErrors, compile, example, fixture, prune } from './helpers.js';
import { topSpeedWindowingYaml } from '../support/files.js';

const schemaOf = (crd: CustomResourceDefinition) => crd.spec.versions[0]!.schema.openAPIV3Schema;
const byKind = (kind: string) => allCrds().find((c) => c.spec.names.kind === kind)!;

describe('structural-schema checker', () => {
  it('finds each kind of violation', () => {
    const bad: Schema = {
      type: 'object',
      properties: {
        metadata: { type: 'object', properties: { namespace: { type: 'string' } } },
        untyped: { description: 'no type' },
        ref: { $ref: '#/definitions/x' },
        closed: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
        both: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } },
        empty: { type: 'object' },
        constant: { type: 'string', const: 'x' },
        names: { type: 'object', propertyNames: { pattern: '^a' }, additionalProperties: { type: 'string' } },
        multi: { type: ['string', 'null'] },
        list: { type: 'array' },
        lookahead: { type: 'string', pattern: '^(?!x)' },
        set: { type: 'array', items: { type: 'string' }, uniqueItems: true },
        junctor: { type: 'object', properties: { a: { type: 'string' } }, anyOf: [{ type: 'object', properties: { b: {} } }] },
      },
    };
    const problems = structuralProblems(bad).join('\n');
    for (const expected of [
      '<root>.metadata.namespace: only name and generateName',
      '<root>.untyped: type must be specified',
      '<root>.ref: keyword $ref is not allowed',
      '<root>.closed: additionalProperties must be a schema, not a boolean',
      '<root>.both: properties and additionalProperties are mutually exclusive',
      '<root>.empty: an object needs properties',
      '<root>.constant: keyword const is not allowed',
      '<root>.names: keyword propertyNames is not allowed',
      '<root>.multi: type ["string","null"] is not allowed',
      '<root>.list: an array needs items',
      '<root>.lookahead: pattern: lookaround',
      '<root>.set: uniqueItems must not be true',
      '<root>.junctor(anyOf[0]): type is not allowed inside',
      '<root>.junctor(anyOf[0]).b: not declared outside the junctor',
    ]) {
      expect(problems).toContain(expected);
    }
  });

  it('converts what JSON Schema says to what structural schemas allow', () => {
    const converted = toStructural({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        metadata: { type: 'object' },
        c: { const: 'x', type: 'string' },
        n: { type: ['integer', 'null'], minimum: 0, maximum: 10 },
        free: {},
        loose: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: {} },
        strict: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
        map: { type: 'object', propertyNames: { type: 'string' }, additionalProperties: { type: 'string' } },
        a: { type: 'object', anyOf: [{ properties: { x: { type: 'string', enum: ['X'] } }, required: ['x'] }] },
      },
    });
    expect(structuralProblems(converted)).toEqual([]);
    expect(converted).toEqual({
      type: 'object',
      properties: {
        metadata: { type: 'object' },
        c: { enum: ['x'], type: 'string' },
        n: { type: 'integer', nullable: true, minimum: 0, maximum: 10, format: 'int32' },
        free: { 'x-kubernetes-preserve-unknown-fields': true },
        loose: { type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-preserve-unknown-fields': true },
        strict: { type: 'object', properties: { a: { type: 'string' } } },
        map: { type: 'object', additionalProperties: { type: 'string' } },
        a: { type: 'object', anyOf: [{ properties: { x: { enum: ['X'] } }, required: ['x'] }], properties: { x: { type: 'string' } } },
      },
    });
    expect(() =>
      toStructural({ type: 'object', properties: { u: { anyOf: [{ type: 'string' }, { type: 'object' }], type: ['string', 'object'] } } }),
    ).toThrow(/several types/);
    expect(() => toStructural({ type: 'string', pattern: '^(?=a)' })).toThrow(/lookaround/);
  });
});

describe('generated CRDs', () => {
  it('are structural, every one of them', () => {
    const crds = allCrds();
    expect(crds.map((c) => c.metadata.name)).toEqual([
      'vnamespaces.sluice.dev',
      'deploymenttargets.sluice.dev',
      'flinkdeployments.sluice.dev',
      'flinkjobs.sluice.dev',
      'savepoints.sluice.dev',
      'vvpdeployments.ververica.platform',
    ]);
    for (const crd of crds) expect(structuralProblems(schemaOf(crd)), crd.metadata.name).toEqual([]);
    // No keyword that a structural schema forbids or the API server would silently drop.
    const text = JSON.stringify(crds);
    for (const k of [
      '"$schema"',
      '"$ref"',
      '"$defs"',
      '"definitions"',
      '"const"',
      '"propertyNames"',
      '"additionalProperties":false',
      '"additionalProperties":true',
      '"allOf"',
      '"oneOf"',
    ]) {
      expect(text, k).not.toContain(k);
    }
  });

  it('have the shape ARCHITECTURE.md describes', () => {
    for (const crd of sluiceCrds()) {
      const v = crd.spec.versions[0]!;
      expect(crd.spec.group).toBe('sluice.dev');
      expect(crd.spec.scope).toBe('Namespaced');
      expect(crd.spec.names.categories).toEqual(['sluice']);
      expect(crd.spec.names.shortNames?.length).toBeGreaterThan(0);
      expect(v.name).toBe('v1alpha1');
      expect(v.subresources).toEqual({ status: {} });
      expect(v.additionalPrinterColumns?.at(-1)).toEqual({ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' });
      const status = (schemaOf(crd).properties as Schema).status as Schema;
      expect((status.properties as Schema).sluice, crd.metadata.name).toEqual({
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
      });
    }
    const fd = schemaOf(byKind('FlinkDeployment'));
    const spec = (fd.properties as Schema).spec as Schema;
    expect(Object.keys(spec.properties as Schema)).toEqual(['metadata', 'spec']);
    const columns = byKind('FlinkDeployment').spec.versions[0]!.additionalPrinterColumns!.map((c) => `${c.name}=${c.jsonPath}`);
    expect(columns).toEqual([
      'Name=.spec.metadata.name',
      'VNamespace=.spec.metadata.namespace',
      'State=.status.state',
      'Desired=.spec.spec.state',
      'Target=.spec.spec.deploymentTargetName',
      'Target-ID=.spec.spec.deploymentTargetId',
      'Age=.metadata.creationTimestamp',
    ]);
  });

  it('print as YAML that parses back to the same objects, without aliases', () => {
    const yaml = crdsAsYaml();
    expect(yaml).not.toMatch(/[&*]a\d/);
    const docs = parseAllDocuments(yaml).map((d) => d.toJSON());
    expect(docs).toEqual(JSON.parse(JSON.stringify(allCrds())));
  });
});

describe('the internal CRDs keep and accept what Sluice writes', () => {
  const now = '2024-01-31T12:00:00.000Z';
  const topSpeedWindowingSpec = () => (parse(topSpeedWindowingYaml(randomUUID())) as { spec: Schema }).spec;
  const envelope = (kind: string, body: Schema) => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind,
    metadata: { name: 'x', namespace: 'sluice-system' },
    ...body,
  });

  const samples: [string, Schema][] = [
    [
      'VNamespace',
      {
        spec: { roleBindings: [{ role: 'owner', members: ['system:authenticated'] }] },
        status: { lifecyclePhase: 'LIFECYCLE_PHASE_ACTIVE' },
      },
    ],
    [
      'DeploymentTarget',
      {
        spec: {
          metadata: {
            id: randomUUID(),
            name: 'vvp-jobs-team-1',
            namespace: 'vvp-namespace-1',
            createdAt: now,
            modifiedAt: now,
            labels: {},
          },
          spec: {
            kubernetes: { namespace: 'vvp-jobs-team-1' },
            deploymentPatchSet:
              example('deployment-target-with-patch-set.yaml').spec &&
              (example('deployment-target-with-patch-set.yaml').spec as Schema).deploymentPatchSet,
          },
        },
        status: {
          state: 'READY',
          conditions: [{ type: 'Ready', status: 'True', reason: 'NamespaceReady', message: 'ok', lastTransitionTime: now }],
          sluice: { observedGeneration: 1, namespace: 'vvp-jobs-team-1', bindings: ['a', 'b'] },
        },
      },
    ],
    [
      'FlinkDeployment',
      {
        spec: {
          metadata: {
            id: randomUUID(),
            name: 'TopSpeedWindowing',
            namespace: 'vvp-namespace-1',
            displayName: 'Top speed',
            createdAt: now,
            modifiedAt: now,
            labels: { a: 'b' },
            annotations: {},
          },
          spec: {
            ...topSpeedWindowingSpec(),
            template: {
              metadata: { annotations: { x: 'y' } },
              spec: {
                ...((topSpeedWindowingSpec().template as Schema).spec as Schema),
                flinkConfiguration: { 'state.checkpoints.dir': 's3://my-bucket/checkpoints' },
                kubernetes: {
                  pods: {
                    affinity: { podAntiAffinity: { x: [1, { y: true }] } },
                    envVars: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                  },
                  taskManagerPodTemplate: { spec: { initContainers: [{ name: 'i', image: 'busybox' }] } },
                },
                logging: { log4jLoggers: { '': 'INFO' }, loggingProfile: 'default' },
              },
            },
          },
        },
        status: {
          state: 'RUNNING',
          running: { jobId: randomUUID(), transitionTime: now, conditions: [{ type: 'Ready', status: 'True', lastUpdateTime: now }] },
          sluice: {
            effective: { generation: 3, spec: topSpeedWindowingSpec(), targetNamespace: 'vvp-jobs-team-1' },
            job: { id: randomUUID(), seq: 2, attempt: 1, specHash: 'abc' },
            jobSeq: 2,
          },
        },
      },
    ],
    [
      'FlinkJob',
      {
        spec: {
          metadata: { id: randomUUID(), name: 'same-as-id', namespace: 'vvp-namespace-1', createdAt: now, modifiedAt: now },
          spec: {
            deploymentId: randomUUID(),
            deploymentName: 'TopSpeedWindowing',
            deploymentObjectName: 'vvp-namespace-1.topspeedwindowing-1a2b3c4d',
            deploymentTargetId: randomUUID(),
            targetNamespace: 'vvp-jobs-team-1',
            seq: 1,
            attempt: 2,
            specHash: 'abc',
            restore: { location: 's3://b/sp', allowNonRestoredState: true },
            template: topSpeedWindowingSpec().template,
          },
        },
        status: { state: 'FAILED', pods: { ready: 1, expected: 2 }, failure: { reason: 'Error', message: 'exit 1', failedAt: now } },
      },
    ],
    [
      'Savepoint',
      {
        spec: {
          metadata: { id: randomUUID(), namespace: 'vvp-namespace-1', createdAt: now, modifiedAt: now, annotations: {} },
          spec: {
            savepointLocation: 's3://bucket/path/to/savepoint-abc123',
            deploymentId: randomUUID(),
            jobId: randomUUID(),
            savepointOrigin: 'SUSPEND',
          },
        },
        status: { state: 'COMPLETED' },
      },
    ],
  ];

  it.each(samples)('%s: valid under the CRD schema, and nothing is pruned', (kind, body) => {
    const schema = schemaOf(byKind(kind));
    const object = envelope(kind, body);
    const validate = compile(schema);
    expect(validate(object), ajvErrors(validate)).toBe(true);
    expect(prune(object, schema)).toEqual(object);
  });

  it('refuses a CR that breaks the schema (a wrong enum, a missing required field)', () => {
    const validate = compile(schemaOf(byKind('FlinkDeployment')));
    const [, body] = samples.find(([k]) => k === 'FlinkDeployment')!;
    const bad = structuredClone(body) as { status: { state: string }; spec: { metadata: Schema } };
    bad.status.state = 'DANCING';
    delete bad.spec.metadata.id;
    expect(validate(envelope('FlinkDeployment', bad as unknown as Schema))).toBe(false);
    expect(ajvErrors(validate)).toContain('/status/state');
    expect(ajvErrors(validate)).toContain('"missingProperty":"id"');
  });
});

describe("VvpDeployment CRD (the operator's)", () => {
  const validate = compile(vvpDeploymentSchema());
  const ok = (cr: unknown) => {
    const valid = validate(cr);
    return valid ? '' : ajvErrors(validate);
  };
  const testCr = () => example('operator/vvp-deployment.yaml') as { metadata: Schema; spec: Schema };

  it('is vvpdeployments.ververica.platform v1, namespaced, with a status subresource', () => {
    const crd = vvpDeploymentCrd();
    expect(crd.metadata.name).toBe('vvpdeployments.ververica.platform');
    expect(crd.spec.group).toBe('ververica.platform');
    expect(crd.spec.names).toMatchObject({ kind: 'VvpDeployment', plural: 'vvpdeployments' });
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage, v.subresources])).toEqual([['v1', true, true, { status: {} }]]);
  });

  it("accepts VVP's example CRs", () => {
    for (const file of [
      'operator/vvp-deployment.yaml',
      'operator/vvp-deployment-initial-savepoint.yaml',
      'operator/vvp-deployment-team-namespace.yaml',
    ]) {
      expect(ok(example(file)), file).toBe('');
    }
  });

  it("accepts VVP's example CR, which VVP's own schema refuses (displayName only through initFields)", () => {
    const { $schema: _drop, ...verbatimSchema } = VVP_DEPLOYMENT_CR_SCHEMA as Schema;
    const verbatimValidate = compile(verbatimSchema);
    expect(verbatimValidate(testCr())).toBe(false);
    expect(ajvErrors(verbatimValidate)).toContain('"missingProperty":"displayName"');
    expect(ok(testCr())).toBe('');
  });

  it('accepts the apikey and apikeySecretName annotation examples on a complete CR', () => {
    for (const file of ['operator/vvp-deployment-apikey.yaml', 'operator/vvp-deployment-apikey-secret.yaml']) {
      const fragment = example(file) as { metadata: Schema };
      expect(ok({ ...testCr(), metadata: fragment.metadata }), file).toBe('');
    }
  });

  it('accepts the status example, and keeps status and initFields from pruning', () => {
    const cr = {
      ...testCr(),
      status: {
        ...(fixture('vvp-deployment-status.yaml').status as Schema),
        deploymentStatus: { state: 'RUNNING', running: { jobId: randomUUID(), transitionTime: '2023-07-14T09:46:30.185884Z' } },
        customResourceStatus: {
          customResourceState: 'SYNCING',
          deploymentId: 'cf2047ed-cb55-4e41-bb53-9ef91959214e',
          observedSpecState: 'CANCELLED',
          statusState: 'CANCELLED',
          vvpNamespace: 'default',
        },
      },
    };
    expect(ok(cr)).toBe('');
    expect(prune(cr, vvpDeploymentSchema())).toEqual(cr);
    expect(ok({ ...cr, status: { ...cr.status, customResourceStatus: { customResourceState: 'WAITING' } } })).toContain(
      '/status/customResourceStatus/customResourceState',
    );
  });

  it('keeps free-form Kubernetes objects and every declared field from pruning', () => {
    const cr = testCr();
    const templateSpec = ((cr.spec.deployment as Schema).spec as Schema).template as Schema;
    Object.assign(templateSpec.spec as Schema, {
      parallelism: 2,
      resources: { taskmanager: { cpu: 0.5, memory: '1G' } },
      kubernetes: {
        pods: {
          affinity: { nodeAffinity: { a: 1 } },
          securityContext: { runAsUser: 1 },
          tolerations: [{ key: 'k', operator: 'Exists' }],
          envVars: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
          volumeMounts: [{ name: 'v', volume: { name: 'v', emptyDir: {} }, volumeMount: { name: 'v', mountPath: '/d' } }],
        },
        jobManagerPodTemplate: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c' }] } },
      },
    });
    expect(ok(cr)).toBe('');
    expect(prune(cr, vvpDeploymentSchema())).toEqual(cr);
  });

  it('accepts artifact kinds JAR, PYTHON, SQLSCRIPT and sqlscript, each with what it needs', () => {
    const withArtifact = (artifact: Schema) => {
      const cr = testCr();
      (((cr.spec.deployment as Schema).spec as Schema).template as Schema).spec = { artifact };
      return cr;
    };
    expect(ok(withArtifact({ kind: 'PYTHON', pythonArtifactUri: 's3://b/job.py' }))).toBe('');
    expect(ok(withArtifact({ kind: 'sqlscript', sqlScript: 'SELECT 1' }))).toBe('');
    expect(ok(withArtifact({ kind: 'SQLSCRIPT', sqlScript: 'SELECT 1' }))).toBe('');
    expect(ok(withArtifact({ kind: 'JAR' }))).not.toBe('');
    expect(ok(withArtifact({ kind: 'ZIP', jarUri: 'x' }))).toContain('/spec/deployment/spec/template/spec/artifact/kind');
    expect(ok(withArtifact({ kind: 'PYTHON', jarUri: 'x' }))).not.toBe('');
  });

  it("keeps VVP's required fields, enums and int32 ranges", () => {
    const cr = testCr();
    const spec = (cr.spec.deployment as Schema).spec as Schema;
    expect(ok({ ...cr, spec: { ...cr.spec, syncingMode: 'POST' } })).toContain('/spec/syncingMode');
    expect(
      ok({
        ...cr,
        spec: { ...cr.spec, deployment: { ...(cr.spec.deployment as Schema), spec: { ...spec, maxJobCreationAttempts: 2 ** 31 } } },
      }),
    ).toContain('maxJobCreationAttempts');
    const { deploymentTargetName: _t, ...noTarget } = spec;
    expect(ok({ ...cr, spec: { ...cr.spec, deployment: { ...(cr.spec.deployment as Schema), spec: noTarget } } })).not.toBe('');
    expect(
      ok({
        ...cr,
        spec: { ...cr.spec, deployment: { ...(cr.spec.deployment as Schema), spec: { ...noTarget, sessionClusterName: 'sc' } } },
      }),
    ).toBe('');
    expect(ok({ ...cr, kind: 'Other' })).toContain('/kind');
    const { spec: _s, ...noSpec } = cr;
    expect(ok(noSpec)).toContain('"missingProperty":"spec"');
  });
});
