import { randomUUID } from 'node:crypto';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  ApiToken,
  ApiTokenInput,
  DeploymentInput,
  DeploymentSpec,
  DeploymentTargetInput,
  DeploymentTargetSpec,
  FlinkDeploymentCrBody,
  FlinkJobCrBody,
  Job,
  Namespace,
  NamespaceInput,
  Savepoint,
  SavepointInput,
  check,
  formatZodError,
  sluiceCrds,
} from '../../shared/model/index.js';
import { example } from './helpers.js';
import { topSpeedWindowingYaml } from '../support/files.js';

/** VVP's TopSpeedWindowing deployment with the placeholder substituted, as VVP's guide says to. */
function topSpeedWindowingDeployment(targetId = randomUUID()): Record<string, unknown> {
  return parse(topSpeedWindowingYaml(targetId)) as Record<string, unknown>;
}

const refusal = (schema: Parameters<typeof check>[0], value: unknown, prefix?: string) => {
  const r = check(schema, value, prefix);
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.value)}`);
  return r.message;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests reach into arbitrary paths of a parsed YAML document
type Doc = { metadata: Record<string, unknown>; spec: Record<string, any> };

/** A deep copy of VVP's TopSpeedWindowing deployment with one change. */
function edited(edit: (d: Doc) => void): unknown {
  const d = topSpeedWindowingDeployment() as Doc;
  edit(d);
  return d;
}

describe("VVP's examples validate", () => {
  it('top-speed-windowing.yaml (placeholder substituted)', () => {
    const id = randomUUID();
    const r = check(DeploymentInput, topSpeedWindowingDeployment(id));
    expect(r.ok ? '' : r.message).toBe('');
    if (!r.ok) return;
    const { spec } = r.value;
    expect(spec.deploymentTargetId).toBe(id);
    expect(spec.template.spec.artifact.flinkVersion).toBe('1.9');
    expect(spec.template.spec.resources?.jobmanager).toEqual({ cpu: 0.5, memory: '1G' });
    expect(r.value.metadata).toEqual({ name: 'TopSpeedWindowing', namespace: 'vvp-namespace-1' });
  });

  it('deployment-target.yaml', () => {
    const r = check(DeploymentTargetInput, example('deployment-target.yaml'));
    expect(r.ok ? r.value.spec : r.message).toEqual({ kubernetes: { namespace: 'vvp-jobs-team-1' } });
  });

  it('002 and 004 targets (fragments without metadata: their spec, and with a name)', () => {
    for (const file of ['staging-deployment-target.yaml', 'deployment-target-with-patch-set.yaml']) {
      const doc = example(file);
      expect(check(DeploymentTargetSpec, doc.spec).ok, file).toBe(true);
      const r = check(DeploymentTargetInput, { ...doc, metadata: { name: 'staging' } });
      expect(r.ok ? '' : r.message, file).toBe('');
    }
    const patchSet = check(DeploymentTargetSpec, example('deployment-target-with-patch-set.yaml').spec);
    expect(patchSet.ok && patchSet.value.deploymentPatchSet?.map((o) => o.path)).toEqual([
      '/spec/template/spec/flinkConfiguration/state.checkpoints.dir',
      '/spec/template/spec/flinkConfiguration/state.savepoints.dir',
    ]);
  });

  it("003's CR deployment specs, alone and with initFields applied", () => {
    for (const file of [
      'operator/vvp-deployment.yaml',
      'operator/vvp-deployment-initial-savepoint.yaml',
      'operator/vvp-deployment-team-namespace.yaml',
    ]) {
      const cr = example(file) as {
        spec: { deployment: { spec: Record<string, unknown> }; initFields?: { spec?: Record<string, unknown> } };
      };
      const r = check(DeploymentSpec, { ...cr.spec.deployment.spec, ...(cr.spec.initFields?.spec ?? {}) }, 'spec');
      expect(r.ok ? '' : r.message, file).toBe('');
    }
  });
});

describe('Deployment', () => {
  it('refuses STATEFUL with restoreStrategy NONE, naming both fields', () => {
    const msg = refusal(
      DeploymentInput,
      edited((d) => {
        d.spec.upgradeStrategy = { kind: 'STATEFUL' };
        d.spec.restoreStrategy = { kind: 'NONE' };
      }),
    );
    expect(msg).toMatch(/^spec\.restoreStrategy\.kind: /);
    expect(msg).toContain('upgradeStrategy.kind STATEFUL');
  });

  it('accepts STATEFUL with LATEST_SAVEPOINT or LATEST_STATE, and STATELESS with NONE', () => {
    for (const [u, r] of [
      ['STATEFUL', 'LATEST_SAVEPOINT'],
      ['STATEFUL', 'LATEST_STATE'],
      ['STATELESS', 'NONE'],
      ['NONE', 'NONE'],
    ]) {
      const d = edited((x) => {
        x.spec.upgradeStrategy = { kind: u };
        x.spec.restoreStrategy = { kind: r, allowNonRestoredState: true };
        // LATEST_STATE runs Flink's Kubernetes HA, which keeps its metadata beside the savepoints.
        x.spec.template.spec.flinkConfiguration = { 'state.savepoints.dir': 'file:///tmp/savepoints' };
      });
      expect(check(DeploymentInput, d).ok, `${u}+${r}`).toBe(true);
    }
  });

  it('names the field of a wrong type', () => {
    expect(
      refusal(
        DeploymentInput,
        edited((d) => (d.spec.template.spec.parallelism = 1.5)),
      ),
    ).toBe('spec.template.spec.parallelism: expected an integer, got 1.5');
    expect(
      refusal(
        DeploymentInput,
        edited((d) => (d.spec.template.spec.parallelism = 'two')),
      ),
    ).toBe('spec.template.spec.parallelism: expected an integer, got "two"');
    expect(
      refusal(
        DeploymentInput,
        edited((d) => (d.spec.template.spec.parallelism = 2 ** 31)),
      ),
    ).toBe('spec.template.spec.parallelism: must be <= 2147483647');
    expect(
      refusal(
        DeploymentInput,
        edited((d) => (d.spec.template.spec.parallelism = 0)),
      ),
    ).toBe('spec.template.spec.parallelism: must be >= 1');
  });

  it('names unknown fields, with their full path', () => {
    expect(
      refusal(
        DeploymentInput,
        edited((d) => (d.spec.template.spec.paralelism = 2)),
      ),
    ).toBe('spec.template.spec.paralelism: unknown field');
    expect(
      refusal(
        DeploymentInput,
        edited((d) => (d.spec.extra = 1)),
      ),
    ).toBe('spec.extra: unknown field');
    expect(
      refusal(
        DeploymentInput,
        edited((d) => (d.metadata.owner = 'me')),
      ),
    ).toBe('metadata.owner: unknown field');
  });

  it('passes free-form Kubernetes objects through', () => {
    const d = edited((x) => {
      x.spec.template.spec.kubernetes = {
        pods: {
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
          securityContext: { runAsUser: 1000, fsGroup: 2000 },
          tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
          envVars: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
          volumeMounts: [{ name: 'v', volume: { name: 'v', emptyDir: {} }, volumeMount: { name: 'v', mountPath: '/data' } }],
          imagePullSecrets: [{ name: 'regcred' }],
        },
        jobManagerPodTemplate: {
          metadata: { labels: { a: 'b' } },
          spec: { containers: [{ name: 'flink-main-container' }] },
          apiVersion: 'v1',
        },
      };
    });
    const r = check(DeploymentInput, d);
    expect(r.ok ? r.value.spec.template.spec.kubernetes : r.message).toEqual(
      (d as { spec: { template: { spec: { kubernetes: unknown } } } }).spec.template.spec.kubernetes,
    );
    // ...but the structured parts around them stay strict.
    expect(
      refusal(
        DeploymentInput,
        edited((x) => (x.spec.template.spec.kubernetes = { pods: { envVars: [{ name: 'A', vlaue: 'x' }] } })),
      ),
    ).toBe('spec.template.spec.kubernetes.pods.envVars[0].vlaue: unknown field');
  });

  it("accepts the CR schema's lowercase sqlscript kind and stores SQLSCRIPT", () => {
    for (const kind of ['sqlscript', 'SQLSCRIPT']) {
      const r = check(DeploymentSpec, {
        state: 'RUNNING',
        deploymentTargetName: 't',
        template: { spec: { artifact: { kind, sqlScript: 'SELECT 1' } } },
      });
      expect(r.ok && r.value.template.spec.artifact.kind).toBe('SQLSCRIPT');
    }
    expect(
      refusal(
        DeploymentSpec,
        { state: 'RUNNING', deploymentTargetName: 't', template: { spec: { artifact: { kind: 'Jar', jarUri: 'x' } } } },
        'spec',
      ),
    ).toBe('spec.template.spec.artifact.kind: expected one of JAR, PYTHON, SQLSCRIPT, got "Jar"');
  });

  it('requires what each artifact kind needs', () => {
    const spec = (artifact: unknown) => ({ state: 'RUNNING', deploymentTargetName: 't', template: { spec: { artifact } } });
    expect(refusal(DeploymentSpec, spec({ kind: 'JAR' }), 'spec')).toBe('spec.template.spec.artifact.jarUri: required when kind is JAR');
    expect(refusal(DeploymentSpec, spec({ kind: 'PYTHON' }), 'spec')).toBe(
      'spec.template.spec.artifact.pythonArtifactUri: required when kind is PYTHON',
    );
    expect(check(DeploymentSpec, spec({ kind: 'PYTHON', pythonArtifactUri: 'https://example.com/x.py', entryModule: 'main' })).ok).toBe(
      true,
    );
  });

  it('refuses artifact URIs Sluice cannot fetch, and Flink settings Flink would not read as given', () => {
    const spec = (tpl: Record<string, unknown>, restore?: string) => ({
      state: 'RUNNING',
      deploymentTargetName: 't',
      ...(restore ? { restoreStrategy: { kind: restore } } : {}),
      template: { spec: { artifact: { kind: 'JAR', jarUri: 'https://example.com/job.jar' }, ...tpl } },
    });
    expect(refusal(DeploymentSpec, spec({ artifact: { kind: 'JAR', jarUri: 's3://bucket/job.jar' } }), 'spec')).toMatch(
      /^spec\.template\.spec: artifact\.jarUri: 's3:\/\/bucket\/job\.jar' cannot be fetched: Sluice fetches http\(s\):\/\/ URLs and file:\/\/\/ paths/,
    );
    expect(refusal(DeploymentSpec, spec({ flinkConfiguration: { 'a.b': 'one\ntwo' } }), 'spec')).toMatch(
      /flinkConfiguration\.a\.b: the value must be one line/,
    );
    expect(refusal(DeploymentSpec, spec({ flinkConfiguration: { 'jobmanager.rpc.address': 'x' } }), 'spec')).toMatch(
      /jobmanager\.rpc\.address: set by Sluice/,
    );
    expect(refusal(DeploymentSpec, spec({ flinkConfiguration: { 'high-availability': 'vvp-kubernetes' } }), 'spec')).toMatch(
      /needs high-availability\.storageDir/,
    );
    expect(refusal(DeploymentSpec, spec({}, 'LATEST_STATE'), 'spec')).toMatch(
      /restoreStrategy LATEST_STATE runs the job with Flink's Kubernetes HA/,
    );
    expect(
      check(
        DeploymentSpec,
        spec({
          artifact: { kind: 'JAR', jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar', flinkVersion: '1.20.3' },
          flinkConfiguration: { 'state.checkpoints.dir': 's3://b/c', 'high-availability': 'vvp-kubernetes' },
        }),
      ).ok,
    ).toBe(true);
  });

  it('checks resources: cpu >= 0.1 as a number, memory as a size', () => {
    const res = (r: unknown) => edited((d) => (d.spec.template.spec.resources = { taskmanager: r }));
    expect(check(DeploymentInput, res({ cpu: 2, memory: '2Gi' })).ok).toBe(true);
    expect(check(DeploymentInput, res({ cpu: 0.1, memory: '1024m' })).ok).toBe(true);
    expect(check(DeploymentInput, res({ cpu: 1, memory: '1.5g' })).ok).toBe(true);
    expect(refusal(DeploymentInput, res({ cpu: 0.05, memory: '1G' }))).toBe('spec.template.spec.resources.taskmanager.cpu: must be >= 0.1');
    expect(refusal(DeploymentInput, res({ cpu: '1', memory: '1G' }))).toBe(
      'spec.template.spec.resources.taskmanager.cpu: expected a number, got "1"',
    );
    expect(refusal(DeploymentInput, res({ cpu: 1, memory: '1 gigabyte' }))).toBe(
      'spec.template.spec.resources.taskmanager.memory: must be a size such as 1G, 1024m or 2Gi',
    );
    expect(refusal(DeploymentInput, res({ cpu: 1 }))).toBe('spec.template.spec.resources.taskmanager.memory: required');
    expect(
      refusal(
        DeploymentInput,
        edited((d) => (d.spec.template.spec.resources = { gpu: { cpu: 1, memory: '1G' } })),
      ),
    ).toBe('spec.template.spec.resources.gpu: unknown field');
  });

  it('turns YAML numbers and booleans in flinkConfiguration into strings, and nothing else', () => {
    const d = edited(
      (x) =>
        (x.spec.template.spec.flinkConfiguration = {
          'taskmanager.numberOfTaskSlots': 2,
          'pipeline.object-reuse': true,
          'state.backend': 'rocksdb',
        }),
    );
    const r = check(DeploymentInput, d);
    expect(r.ok && r.value.spec.template.spec.flinkConfiguration).toEqual({
      'taskmanager.numberOfTaskSlots': '2',
      'pipeline.object-reuse': 'true',
      'state.backend': 'rocksdb',
    });
    expect(
      refusal(
        DeploymentInput,
        edited((x) => (x.spec.template.spec.flinkConfiguration = { 'a.b': { nested: 1 } })),
      ),
    ).toBe('spec.template.spec.flinkConfiguration["a.b"]: expected a string, got an object');
    expect(
      refusal(
        DeploymentInput,
        edited((x) => (x.metadata.labels = { team: 1 })),
      ),
    ).toBe('metadata.labels.team: expected a string, got 1');
  });

  it('needs a deployment target (or a session cluster), not both', () => {
    expect(
      refusal(
        DeploymentInput,
        edited((d) => delete d.spec.deploymentTargetId),
      ),
    ).toMatch(/^spec: names no deployment target/);
    expect(
      check(
        DeploymentInput,
        edited((d) => (d.spec.deploymentTargetName = 'vvp-jobs-team-1')),
      ).ok,
    ).toBe(true);
    expect(
      refusal(
        DeploymentInput,
        edited((d) => (d.spec.sessionClusterName = 'sc')),
      ),
    ).toMatch(/^spec\.sessionClusterName: cannot be combined/);
    expect(
      refusal(
        DeploymentInput,
        edited((d) => (d.spec.deploymentTargetId = 'not-a-uuid')),
      ),
    ).toBe('spec.deploymentTargetId: must be a UUID');
  });

  it('checks state, kind and apiVersion', () => {
    expect(
      refusal(
        DeploymentInput,
        edited((d) => (d.spec.state = 'STARTED')),
      ),
    ).toBe('spec.state: expected one of RUNNING, SUSPENDED, CANCELLED, got "STARTED"');
    expect(refusal(DeploymentInput, { ...(topSpeedWindowingDeployment() as object), kind: 'DeploymentTarget' })).toBe(
      'kind: must be Deployment',
    );
    expect(refusal(DeploymentInput, { ...(topSpeedWindowingDeployment() as object), apiVersion: 'v2' })).toBe('apiVersion: must be v1');
    expect(
      refusal(
        DeploymentInput,
        edited((d) => delete d.spec.template),
      ),
    ).toBe('spec.template: required');
    expect(
      refusal(
        DeploymentInput,
        edited((d) => (d.metadata.namespace = 'Team 1')),
      ),
    ).toMatch(/^metadata\.namespace: not a valid namespace name/);
    expect(
      refusal(
        DeploymentInput,
        edited((d) => (d.metadata.name = 'a/b')),
      ),
    ).toBe('metadata.name: must not contain "/" or control characters');
    expect(refusal(DeploymentInput, 'just text')).toBe('expected an object, got "just text"');
  });

  it('reports several problems in one message', () => {
    const msg = refusal(
      DeploymentInput,
      edited((d) => {
        d.spec.state = 'GO';
        d.spec.maxJobCreationAttempts = -1;
      }),
    );
    expect(msg).toContain('spec.state: expected one of');
    expect(msg).toContain('spec.maxJobCreationAttempts: must be >= 1');
    expect(msg.split('; ')).toHaveLength(2);
  });

  it('accepts a GET → PUT round trip (server fields in metadata, a status)', () => {
    const d = topSpeedWindowingDeployment() as { metadata: Record<string, unknown> };
    d.metadata = {
      ...d.metadata,
      id: randomUUID(),
      resourceVersion: 3,
      createdAt: '2023-07-14T09:40:41.583995Z',
      modifiedAt: '2023-07-14T09:46:30.185884Z',
      labels: {},
      annotations: {},
    };
    expect(check(DeploymentInput, { ...d, status: { state: 'RUNNING' } }).ok).toBe(true);
  });
});

describe('formatZodError', () => {
  it('prefixes paths and quotes keys that are not identifiers', () => {
    const r = DeploymentSpec.safeParse({
      state: 'RUNNING',
      deploymentTargetName: 't',
      template: { spec: { artifact: { kind: 'JAR', jarUri: 'x' }, flinkConfiguration: { 'a.b': [] } } },
    });
    expect(r.success).toBe(false);
    if (!r.success)
      expect(formatZodError(r.error, 'deployment.spec')).toBe(
        'deployment.spec.template.spec.flinkConfiguration["a.b"]: expected a string, got a list',
      );
  });
});

describe('DeploymentTarget', () => {
  const target = (spec: unknown) => ({ kind: 'DeploymentTarget', metadata: { name: 't' }, spec });

  it('checks the patch set operations', () => {
    expect(check(DeploymentTargetInput, target({ deploymentPatchSet: [{ op: 'remove', path: '/spec/template/spec/logging' }] })).ok).toBe(
      true,
    );
    expect(check(DeploymentTargetInput, target({ deploymentPatchSet: [{ op: 'test', path: '/spec/state', value: null }] })).ok).toBe(true);
    expect(refusal(DeploymentTargetInput, target({ deploymentPatchSet: [{ op: 'upsert', path: '/spec' }] }))).toBe(
      'spec.deploymentPatchSet[0].op: expected one of add, remove, replace, move, copy, test, got "upsert"',
    );
    expect(refusal(DeploymentTargetInput, target({ deploymentPatchSet: [{ op: 'add', path: '/spec/x' }] }))).toBe(
      'spec.deploymentPatchSet[0].value: required for op add',
    );
    expect(refusal(DeploymentTargetInput, target({ deploymentPatchSet: [{ op: 'copy', path: '/spec/x' }] }))).toBe(
      'spec.deploymentPatchSet[0].from: required for op copy',
    );
    expect(refusal(DeploymentTargetInput, target({ deploymentPatchSet: [{ op: 'add', path: 'spec/x', value: 1 }] }))).toBe(
      'spec.deploymentPatchSet[0].path: must be a JSON pointer such as /spec/template/spec/parallelism',
    );
  });

  it('needs a DNS label as Kubernetes namespace', () => {
    expect(refusal(DeploymentTargetInput, target({ kubernetes: { namespace: 'Staging' } }))).toMatch(
      /^spec\.kubernetes\.namespace: must be a DNS label/,
    );
    expect(refusal(DeploymentTargetInput, target({ kubernetes: { namespace: 'a', name: 'b' } }))).toBe(
      'spec.kubernetes.name: unknown field',
    );
  });
});

describe('Namespace and ApiToken', () => {
  it('validate VVP shapes', () => {
    expect(
      check(NamespaceInput, { name: 'namespaces/my-namespace', roleBindings: [{ role: 'owner', members: ['system:authenticated'] }] }).ok,
    ).toBe(true);
    expect(
      check(Namespace, {
        name: 'namespaces/default',
        roleBindings: [{ role: 'viewer', members: ['user:ann', 'group:ops'] }],
        lifecyclePhase: 'LIFECYCLE_PHASE_ACTIVE',
        createTime: '2019-09-27T17:01:55.452Z',
      }).ok,
    ).toBe(true);
    expect(refusal(NamespaceInput, { name: 'my-namespace' })).toMatch(/^name: must be "namespaces\/<name>"/);
    expect(refusal(NamespaceInput, { name: 'namespaces/a', roleBindings: [{ role: 'root', members: [] }] })).toBe(
      'roleBindings[0].role: expected one of viewer, editor, owner, admin, got "root"',
    );
    expect(refusal(NamespaceInput, { name: 'namespaces/a', roleBindings: [{ role: 'owner', members: ['ann'] }] })).toBe(
      'roleBindings[0].members[0]: must be "user:<name>", "group:<name>" or "system:authenticated"',
    );
    expect(check(ApiTokenInput, { name: 'namespaces/default/apitokens/ci', role: 'editor' }).ok).toBe(true);
    expect(refusal(ApiTokenInput, { name: 'namespaces/default/apitokens/ci', role: 'editor', secret: 'mine' })).toBe(
      'secret: unknown field',
    );
    expect(refusal(ApiTokenInput, { name: 'apitokens/ci', role: 'editor' })).toMatch(
      /^name: must be "namespaces\/<namespace>\/apitokens\/<name>"/,
    );
    expect(
      check(ApiToken, { name: 'namespaces/default/apitokens/ci', role: 'owner', secret: 's', createTime: '2024-01-01T00:00:00Z' }).ok,
    ).toBe(true);
  });
});

describe('Job and Savepoint', () => {
  const now = '2024-01-31T12:00:00.000Z';
  const template = { spec: { artifact: { kind: 'JAR', jarUri: 'file:///x.jar' }, parallelism: 1 } };

  it('validate VVP shapes', () => {
    const job = {
      kind: 'Job',
      apiVersion: 'v1',
      metadata: {
        id: randomUUID(),
        namespace: 'team',
        createdAt: now,
        modifiedAt: now,
        resourceVersion: 1,
        annotations: {},
        deploymentId: randomUUID(),
        deploymentName: 'TopSpeedWindowing',
        terminatedAt: now,
      },
      spec: {
        ...template.spec,
        savepointLocation: 's3://b/sp-1',
        allowNonRestoredState: false,
        deploymentTarget: { kubernetes: { namespace: 'vvp-jobs-team-1' } },
      },
      status: {
        state: 'FAILED',
        started: { startedAt: now, flinkJobId: '0123456789abcdef0123456789abcdef' },
        failure: { reason: 'Error', message: 'boom', failedAt: now },
      },
    };
    expect(check(Job, job).ok).toBe(true);
    expect(refusal(Job, { ...job, status: { state: 'RUNNING' } })).toBe(
      'status.state: expected one of STARTING, STARTED, TERMINATING, TERMINATED, FAILED, FINISHED, got "RUNNING"',
    );
    expect(refusal(Job, { ...job, spec: { ...job.spec, targetNamespace: 'x' } })).toBe('spec.targetNamespace: unknown field');

    const sp = {
      kind: 'Savepoint',
      apiVersion: 'v1',
      metadata: {
        id: randomUUID(),
        namespace: 'team',
        createdAt: now,
        modifiedAt: now,
        resourceVersion: 1,
        annotations: {},
        deploymentId: randomUUID(),
        origin: 'USER_REQUEST',
      },
      spec: { savepointLocation: 's3://bucket/path/to/savepoint-abc123' },
      status: { state: 'COMPLETED' },
    };
    expect(check(Savepoint, sp).ok).toBe(true);
    expect(refusal(Savepoint, { ...sp, metadata: { ...sp.metadata, origin: 'MANUAL' } })).toMatch(
      /^metadata\.origin: expected one of USER_REQUEST/,
    );
    expect(check(SavepointInput, { spec: { savepointLocation: 's3://bucket/sp' } }).ok).toBe(true);
    expect(refusal(SavepointInput, { spec: { savepointLocation: '  ' } })).toBe('spec.savepointLocation: must not be empty');
  });
});

describe('the CR bodies accept what the functions write', () => {
  const now = '2024-01-31T12:00:00.000Z';
  const metadata = { id: randomUUID(), name: 'TopSpeedWindowing', namespace: 'vvp-namespace-1', createdAt: now, modifiedAt: now };

  it('FlinkDeployment with status and bookkeeping', () => {
    const spec = (topSpeedWindowingDeployment() as { spec: unknown }).spec;
    const body = {
      spec: { metadata, spec },
      status: {
        state: 'FAILED',
        running: { jobId: randomUUID(), transitionTime: now },
        failure: { reason: 'JobFailed', message: 'x', failedAt: now },
        sluice: { effective: { generation: 2, spec }, job: { id: randomUUID(), seq: 1, attempt: 1, specHash: 'abc' }, jobSeq: 1 },
      },
    };
    const r = check(FlinkDeploymentCrBody, body);
    expect(r.ok ? '' : r.message).toBe('');
  });

  it('FlinkJob as the deployment step creates it', () => {
    const id = randomUUID();
    const body = {
      spec: {
        metadata: { id, name: id, namespace: 'vvp-namespace-1', createdAt: now, modifiedAt: now },
        spec: {
          deploymentId: metadata.id,
          deploymentName: 'TopSpeedWindowing',
          deploymentObjectName: 'vvp-namespace-1.topspeedwindowing-1a2b3c4d',
          targetNamespace: 'vvp-jobs-team-1',
          seq: 1,
          attempt: 1,
          specHash: '0123456789abcdef',
          template: { spec: { artifact: { kind: 'JAR', jarUri: 'file:///x.jar' } } },
        },
      },
      status: { state: 'STARTED', pods: { ready: 2, expected: 2 }, started: { startedAt: now } },
    };
    const r = check(FlinkJobCrBody, body);
    expect(r.ok ? '' : r.message).toBe('');
  });
});

describe("Sluice's bookkeeping (status.sluice)", () => {
  it('is typed for the code and checked by its schema', () => {
    const metadata = {
      id: randomUUID(),
      name: 'd',
      namespace: 'team',
      createdAt: '2024-01-31T12:00:00Z',
      modifiedAt: '2024-01-31T12:00:00Z',
    };
    const spec = (topSpeedWindowingDeployment() as { spec: unknown }).spec;
    const r = check(FlinkDeploymentCrBody, { spec: { metadata, spec }, status: { sluice: { effective: { generation: 'two' } } } });
    expect(r.ok ? '' : r.message).toMatch(/status\.sluice\.effective\.generation/);
  });

  it('stays free-form in every CRD, so the API server prunes none of it', () => {
    for (const crd of sluiceCrds()) {
      const status = (crd.spec.versions[0]!.schema.openAPIV3Schema.properties as Record<string, { properties: Record<string, unknown> }>)
        .status!;
      expect(status.properties.sluice, crd.metadata.name).toEqual({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    }
  });
});
