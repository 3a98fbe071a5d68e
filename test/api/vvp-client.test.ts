import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { fixtureText } from '../support/files.js';
import { type RunningSluice, eventually, startSluice } from '../support/sluice.js';
import { sluiceApiProblems } from '../support/sluice-openapi.js';
import { vvpResponseProblems } from '../support/vvp-schemas.js';

// Response bodies are navigated freely in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>;

type Api = 'appmanager' | 'platform';
interface Operation {
  api: Api;
  method: string;
  /** The path template with the document's basePath, e.g. `/api/v1/namespaces/{namespace}/jobs/{jobId}`. */
  path: string;
  /** The schema VVP declares for a successful answer (its 200's; a 201 declares none). */
  schema: object;
}
type Swagger = {
  basePath?: string;
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, { schema?: object }> }>>;
};

/** Every operation of VVP 2.1's Application Manager and Platform APIs, by operationId, from VVP's own Swagger documents. */
const OPERATIONS = new Map<string, Operation>(
  (
    [
      ['appmanager', 'appmanager-api-swagger.json'],
      ['platform', 'platform-api-swagger.json'],
    ] as const
  ).flatMap(([api, file]) => {
    const doc = JSON.parse(fixtureText(`vvp-api/${file}`)) as Swagger;
    return Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]): [string, Operation] => {
        const schema = op.responses['200']?.schema ?? op.responses['201']?.schema;
        if (!schema) throw new Error(`${op.operationId} declares no response schema`);
        return [op.operationId, { api, method: method.toUpperCase(), path: `${(doc.basePath ?? '').replace(/\/$/, '')}${path}`, schema }];
      }),
    );
  }),
);

interface Call {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** Send the body as YAML (Content-Type: application/yaml). */
  yaml?: boolean;
  /** Ask for YAML (Accept: application/yaml). */
  acceptYaml?: boolean;
  /** The status expected: 201 for a POST, else 200. */
  status?: number;
  token?: string;
}

/**
 * A VVP client against Sluice: it calls each operation of VVP's API as VVP's own documents
 * describe it, with VVP's request bodies (JSON or YAML), and checks every answer against the
 * response schema the document declares for that operation, and against Sluice's own OpenAPI
 * document.
 */
describe('a VVP client, operation by operation', () => {
  let sluice: RunningSluice;
  const answered = new Set<string>();
  const vns = 'vvp-client';
  const k8sNamespace = `vvp-client-${randomBytes(4).toString('hex')}`;
  let token = '';

  async function call(operationId: string, c: Call = {}): Promise<Body> {
    const op = OPERATIONS.get(operationId);
    if (!op) throw new Error(`VVP has no operation ${operationId}`);
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = c.params?.[name] ?? (name === 'namespace' || name === 'ns' ? vns : undefined);
      if (value === undefined) throw new Error(`${operationId}: no value for {${name}}`);
      return encodeURIComponent(value);
    });
    const query = c.query ? `?${new URLSearchParams(c.query).toString()}` : '';
    const headers: Record<string, string> = { authorization: `Bearer ${c.token ?? token}` };
    if (c.acceptYaml) headers.accept = 'application/yaml';
    let body: string | undefined;
    if (c.body !== undefined) {
      headers['content-type'] = c.yaml ? 'application/yaml' : 'application/json';
      body = c.yaml ? toYaml(c.body) : JSON.stringify(c.body);
    }
    const res = await fetch(`${sluice.url}${path}${query}`, { method: op.method, headers, body });
    const text = await res.text();
    expect(res.status, `${operationId} ${op.method} ${path}${query}: ${text}`).toBe(c.status ?? (op.method === 'POST' ? 201 : 200));
    expect(res.headers.get('content-type'), operationId).toMatch(c.acceptYaml ? /^application\/yaml/ : /^application\/json/);
    const value = (c.acceptYaml ? parseYaml(text) : JSON.parse(text)) as Body;
    expect(vvpResponseProblems(op.api, op.schema, value), `${operationId}: ${JSON.stringify(value)}`).toEqual([]);
    // Sluice's own OpenAPI document describes the same answer.
    expect(sluiceApiProblems(op.method, path, Object.keys(c.query ?? {}), res.status, value), operationId).toEqual([]);
    answered.add(operationId);
    return value;
  }

  /** A plain read, for polling (not counted as a call of the operation). */
  const read = async (path: string): Promise<Body | undefined> => {
    const res = await sluice.api(path, { token });
    return res.status === 200 ? ((await res.json()) as Body) : undefined;
  };
  const base = `/api/v1/namespaces/${vns}`;

  beforeAll(async () => {
    sluice = await startSluice();
    token = sluice.token;
  });
  afterAll(() => sluice?.stop());

  it("walks VVP's 33 operations", () => {
    expect(OPERATIONS.size).toBe(33);
  });

  it('answers the status and the system information', async () => {
    expect(await call('getStatusUsingGET')).toMatchObject({ status: 'OK' });
    const info = await call('getSystemInfoUsingGET', { acceptYaml: true });
    expect(info).toMatchObject({ kind: 'SystemInformation', status: { resourceQuota: { spec: { type: 'UNLIMITED' } } } });
  });

  it('creates, reads, changes and lists a Namespace, and gives it an API token that the client then uses', async () => {
    const created = await call('createNamespaceUsingPOST', { body: { name: `namespaces/${vns}` } });
    expect(created.namespace).toMatchObject({ name: `namespaces/${vns}`, lifecyclePhase: 'LIFECYCLE_PHASE_ACTIVE' });
    expect((await call('getNamespaceUsingGET', { params: { ns: vns } })).namespace.name).toBe(`namespaces/${vns}`);
    const bindings = [{ role: 'viewer', members: ['group:analysts'] }];
    const updated = await call('updateNamespaceUsingPUT', {
      params: { ns: vns },
      body: { name: `namespaces/${vns}`, roleBindings: bindings },
    });
    expect(updated.namespace.roleBindings).toEqual(bindings);
    const all = await call('listNamespacesUsingGET');
    expect(all.namespaces.map((n: Body) => n.name)).toContain(`namespaces/${vns}`);

    const minted = await call('createApiTokenUsingPOST', {
      params: { ns: vns },
      body: { name: `namespaces/${vns}/apitokens/ci`, role: 'owner' },
    });
    expect(minted.apiToken).toMatchObject({ name: `namespaces/${vns}/apitokens/ci`, role: 'owner', secret: expect.any(String) });
    token = minted.apiToken.secret as string;
    const got = await call('getApiTokenUsingGET', { params: { ns: vns, apiTokenName: 'ci' } });
    expect(got.apiToken).toMatchObject({ name: `namespaces/${vns}/apitokens/ci`, role: 'owner' });
    expect(got.apiToken.secret).toBeUndefined();
    const tokens = await call('listApiTokensUsingGET', { params: { ns: vns } });
    expect(tokens.apiTokens.map((t: Body) => t.name)).toEqual([`namespaces/${vns}/apitokens/ci`]);
  });

  let targetId = '';
  it('creates a Deployment Target from YAML and reads it back', async () => {
    const target = await call('createDeploymentTargetUsingPOST', {
      yaml: true,
      acceptYaml: true,
      body: {
        kind: 'DeploymentTarget',
        apiVersion: 'v1',
        metadata: { name: 'analytics', namespace: vns },
        spec: { kubernetes: { namespace: k8sNamespace } },
      },
    });
    expect(target).toMatchObject({ kind: 'DeploymentTarget', metadata: { name: 'analytics' } });
    targetId = target.metadata.id as string;
    expect((await call('getDeploymentTargetUsingGET', { params: { name: 'analytics' } })).metadata.id).toBe(targetId);
    const targets = await call('getDeploymentTargetsUsingGET');
    expect(targets.items.map((t: Body) => t.metadata.id)).toEqual([targetId]);
    // Pods are refused until the namespace's default service account exists.
    await eventually(
      () => sluice.kube.core.readNamespacedServiceAccount({ name: 'default', namespace: k8sNamespace }).then(() => true),
      `the default service account of ${k8sNamespace}`,
    );
  });

  it('keeps a Secret Value write-only, and changes it without naming a version', async () => {
    const created = await call('createSecretValueUsingPOST', {
      body: {
        kind: 'SecretValue',
        apiVersion: 'v1',
        metadata: { name: 's3-secret-key', namespace: vns, labels: { store: 's3' } },
        spec: { kind: 'Plain', value: 'first-secret' },
      },
    });
    expect(created).toMatchObject({ kind: 'SecretValue', metadata: { name: 's3-secret-key' }, spec: { kind: 'Plain' } });
    expect(JSON.stringify(created)).not.toContain('first-secret');
    const patched = await call('updateSecretValueUsingPATCH', {
      params: { name: 's3-secret-key' },
      yaml: true,
      body: { spec: { kind: 'Plain', value: 'second-secret' } },
    });
    expect(patched.metadata.resourceVersion).toBeGreaterThan(created.metadata.resourceVersion as number);
    const got = await call('getSecretValueUsingGET', { params: { name: 's3-secret-key' }, acceptYaml: true });
    expect(got.metadata).toMatchObject({ name: 's3-secret-key', labels: { store: 's3' } });
    expect(JSON.stringify(got)).not.toMatch(/first-secret|second-secret/);
    expect((await call('getSecretValuesUsingGET')).items.map((s: Body) => s.metadata.name)).toEqual(['s3-secret-key']);
  });

  it("sets the vNamespace's Deployment Defaults from YAML without naming a version, and reads them", async () => {
    const defaults = await call('updateDeploymentDefaultsUsingPATCH', {
      yaml: true,
      body: {
        kind: 'DeploymentDefaults',
        apiVersion: 'v1',
        metadata: { namespace: vns },
        spec: {
          maxSavepointCreationAttempts: 3,
          template: {
            spec: {
              flinkConfiguration: { 'state.savepoints.dir': 's3://analytics/savepoints', 'execution.checkpointing.interval': '10s' },
            },
          },
        },
      },
    });
    expect(defaults).toMatchObject({ kind: 'DeploymentDefaults', spec: { maxSavepointCreationAttempts: 3 } });
    const got = await call('getDeploymentDefaultsUsingGET', { acceptYaml: true });
    expect(got.spec.template.spec.flinkConfiguration['state.savepoints.dir']).toBe('s3://analytics/savepoints');
  });

  let deploymentId = '';
  let jobId = '';
  it('creates a Deployment from YAML, with the defaults merged in, and runs it', async () => {
    const created = await call('createDeploymentUsingPOST', {
      yaml: true,
      acceptYaml: true,
      body: {
        kind: 'Deployment',
        apiVersion: 'v1',
        metadata: {
          name: 'top-speed-windowing',
          namespace: vns,
          labels: { team: 'analytics', env: 'prod' },
          annotations: { 'com.example/owner': 'analytics' },
        },
        spec: {
          state: 'RUNNING',
          deploymentTargetId: targetId,
          upgradeStrategy: { kind: 'STATEFUL' },
          restoreStrategy: { kind: 'LATEST_SAVEPOINT', allowNonRestoredState: false },
          maxJobCreationAttempts: 4,
          template: {
            metadata: { annotations: { 'flink.queryable-state.enabled': 'false' } },
            spec: {
              artifact: {
                kind: 'JAR',
                jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar',
                entryClass: 'org.apache.flink.streaming.examples.windowing.TopSpeedWindowing',
                flinkVersion: '1.17',
              },
              parallelism: 1,
              numberOfTaskManagers: 1,
              resources: { jobmanager: { cpu: 0.5, memory: '1G' }, taskmanager: { cpu: 0.5, memory: '1G' } },
              flinkConfiguration: { 'taskmanager.numberOfTaskSlots': '1', 's3.secret-key': '${secret_values.s3-secret-key}' },
              logging: { loggingProfile: 'default', log4jLoggers: { '': 'INFO', 'org.apache.flink': 'WARN' } },
              kubernetes: { pods: { labels: { team: 'analytics' }, annotations: { 'prometheus.io/scrape': 'true' } } },
            },
          },
        },
      },
    });
    deploymentId = created.metadata.id as string;
    expect(created).toMatchObject({
      kind: 'Deployment',
      metadata: { name: 'top-speed-windowing', labels: { team: 'analytics' } },
      spec: {
        deploymentTargetId: targetId,
        maxSavepointCreationAttempts: 3,
        template: { spec: { flinkConfiguration: { 'state.savepoints.dir': 's3://analytics/savepoints' } } },
      },
      status: { state: 'TRANSITIONING' },
    });
    const running = await eventually(async () => {
      const d = await read(`${base}/deployments/${deploymentId}`);
      return d?.status?.state === 'RUNNING' ? d : undefined;
    }, 'the deployment RUNNING');
    jobId = running.status.running.jobId as string;
    const got = await call('getDeploymentUsingGET', { params: { deploymentId }, acceptYaml: true });
    expect(got.status).toMatchObject({ state: 'RUNNING', running: { jobId } });
    const byName = await call('getDeploymentUsingGET', { params: { deploymentId: 'top-speed-windowing' } });
    expect(byName.metadata.id).toBe(deploymentId);
    const listed = await call('getDeploymentsUsingGET', { query: { labelSelector: 'team=analytics,env in (prod)' } });
    expect(listed.items.map((d: Body) => d.metadata.id)).toEqual([deploymentId]);
  });

  it('lists and reads the Job of the Deployment', async () => {
    const jobs = await call('getJobsUsingGET', { query: { deploymentId } });
    expect(jobs.items.map((j: Body) => j.metadata.id)).toEqual([jobId]);
    const job = await call('getJobUsingGET', { params: { jobId }, acceptYaml: true });
    expect(job).toMatchObject({
      kind: 'Job',
      metadata: { id: jobId, deploymentId, deploymentName: 'top-speed-windowing' },
      spec: {
        parallelism: 1,
        flinkConfiguration: { 's3.secret-key': '${secret_values.s3-secret-key}' },
        deploymentTarget: { kubernetes: { namespace: k8sNamespace } },
      },
      status: { state: 'STARTED' },
    });
  });

  it("takes a savepoint on request, VVP's body, while the job keeps running", async () => {
    const started = await call('createSavepointUsingPOST', {
      body: { kind: 'Savepoint', apiVersion: 'v1', metadata: { namespace: vns, deploymentId, annotations: { reason: 'release 42' } } },
    });
    expect(started).toMatchObject({ metadata: { deploymentId, jobId, origin: 'USER_REQUEST' }, status: { state: 'STARTED' } });
    await eventually(async () => {
      const sp = await read(`${base}/savepoints/${started.metadata.id}`);
      return sp?.status?.state === 'COMPLETED' ? sp : undefined;
    }, 'the savepoint COMPLETED');
    const done = await call('getSavepointUsingGET', { params: { savepointId: started.metadata.id }, acceptYaml: true });
    expect(done.spec.savepointLocation).toMatch(/^s3:\/\/analytics\/savepoints\//);
    const byJob = await call('getSavepointsUsingGET', { query: { deploymentId, jobId } });
    expect(byJob.items.map((s: Body) => s.metadata.id)).toEqual([started.metadata.id]);
    expect((await read(`${base}/deployments/${deploymentId}`))?.status).toMatchObject({ state: 'RUNNING', running: { jobId } });
  });

  it('suspends the Deployment with an unversioned PATCH: a savepoint, then SUSPENDED; its events tell the story', async () => {
    const patched = await call('updateDeploymentUsingPATCH', { params: { deploymentId }, body: { spec: { state: 'SUSPENDED' } } });
    expect(patched.spec.state).toBe('SUSPENDED');
    await eventually(
      async () => ((await read(`${base}/deployments/${deploymentId}`))?.status?.state === 'SUSPENDED' ? true : undefined),
      'the deployment SUSPENDED',
      30_000,
    );
    const savepoints = await call('getSavepointsUsingGET', { query: { deploymentId }, acceptYaml: true });
    expect(savepoints.items.map((s: Body) => [s.metadata.origin, s.status.state])).toEqual(
      expect.arrayContaining([
        ['USER_REQUEST', 'COMPLETED'],
        ['SUSPEND', 'COMPLETED'],
      ]),
    );

    const events = await call('getEventsUsingGET', { query: { deploymentId }, acceptYaml: true });
    const names = events.items.map((e: Body) => e.metadata.name as string);
    expect(names).toEqual(
      expect.arrayContaining([
        'CREATING_A_NEW_JOB',
        'JOB_SUCCESSFULLY_STARTED',
        'CREATING_A_SAVEPOINT_BEFORE_SUSPENSION',
        'STATE_TRANSITION_IS_COMPLETED',
      ]),
    );
    expect(events.items.every((e: Body) => e.metadata.deploymentId === deploymentId)).toBe(true);
    const ofJob = await call('getEventsUsingGET', { query: { deploymentId, jobId } });
    expect(ofJob.items.length).toBeGreaterThan(0);
    expect(ofJob.items.every((e: Body) => e.metadata.jobId === jobId)).toBe(true);
  });

  it('cancels and deletes the Deployment, then deletes the Secret Value, the Deployment Target, the token and the Namespace', async () => {
    await call('updateDeploymentUsingPATCH', { params: { deploymentId }, yaml: true, body: { spec: { state: 'CANCELLED' } } });
    await eventually(
      async () => ((await read(`${base}/deployments/${deploymentId}`))?.status?.state === 'CANCELLED' ? true : undefined),
      'the deployment CANCELLED',
    );
    const deleted = await call('deleteDeploymentUsingDELETE', { params: { deploymentId } });
    expect(deleted.metadata.id).toBe(deploymentId);
    // Gone for the client at once; its target may go right away, as in VVP.
    expect((await sluice.api(`${base}/deployments/${deploymentId}`, { token })).status).toBe(404);
    const target = await call('deleteDeploymentTargetUsingDELETE', { params: { name: 'analytics' } });
    expect(target.metadata.id).toBe(targetId);
    expect((await call('getDeploymentTargetsUsingGET')).items).toEqual([]);

    expect((await call('deleteSecretValueUsingDELETE', { params: { name: 's3-secret-key' } })).metadata.name).toBe('s3-secret-key');
    expect((await sluice.api(`${base}/secret-values/s3-secret-key`, { token })).status).toBe(404);

    await call('deleteApiTokenUsingDELETE', { params: { ns: vns, apiTokenName: 'ci' } });
    expect((await sluice.api(`${base}/deployments`, { token })).status).toBe(401);
    token = sluice.token;
    const gone = await call('deleteNamespaceUsingDELETE', { params: { ns: vns } });
    expect(gone.namespace.name).toBe(`namespaces/${vns}`);
    expect((await sluice.api(`/namespaces/v1/namespaces/${vns}`)).status).toBe(404);
    // Nothing of the Deployment is left behind once its last step has run.
    await eventually(
      async () => ((await sluice.platform.deployments.list()).every((d) => d.spec.metadata.namespace !== vns) ? true : undefined),
      "the Deployment's FlinkDeployment deleted",
    );
  });

  it('answered every operation of both APIs', () => {
    expect([...OPERATIONS.keys()].filter((id) => !answered.has(id))).toEqual([]);
  });
});
