/**
 * The generated manifests against a real kube-apiserver (the test bed's): every file
 * passes `kubectl apply --dry-run=server` with the Knative CRDs installed, and the server
 * keeps every field we set (a field a CRD schema does not know would be pruned silently).
 * Then the RBAC is applied for real and each function's service account is checked with
 * `kubectl auth can-i --as=...` against what its code actually calls: allowed where
 * needed, denied elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleBinding } from '../../functions/onDeploymentTargetCreate/logic.js';
import { TypedKube } from '../../shared/kube/typed.js';
import { ensureCrds } from '../../shared/model/install.js';
import { serviceAccountName, targetRoleName } from '../../shared/runtime/rbac.js';
import { EVENT_RELAY, type Unit, generate, loadUnits, streamsOf, unitName, writeFiles } from '../../scripts/generate-manifests.js';
import { testBed } from '../bed/env.js';
import { type KubeObject, RBAC_KINDS, generatedObjects, kubectl, kubectlOk, missingFields, objectsIn, pool } from './support.js';
import { fixturePath } from '../support/files.js';

const KNATIVE_CRDS = fixturePath('knative-crds');

const run = randomBytes(3).toString('hex');
const P = `sluice-pkg-${run}`; // platform namespace
const W = `sluice-pkg-w-${run}`; // a watched namespace
const T = `sluice-pkg-t-${run}`; // a Deployment Target's namespace (created as onDeploymentTargetCreate)
const N = `sluice-pkg-n-${run}`; // a namespace Sluice has nothing to do with
const F = `sluice-pkg-f-${run}`; // OpenFaaS functions' namespace

let kubeconfig: string;
let dir: string;
let files: Map<string, string>;
let units: Unit[];
let clusterScoped: KubeObject[] = [];

const toYaml = (objs: KubeObject[]) => objs.map((o) => stringify(o)).join('---\n');

beforeAll(async () => {
  kubeconfig = testBed().kubeconfig;
  files = await generate({ platformNamespace: P, watchedNamespaces: [W], openfaasNamespace: F });
  units = await loadUnits();
  dir = mkdtempSync(join(tmpdir(), 'sluice-manifests-'));
  writeFiles(files, dir);

  // Knative Serving and Eventing CRDs, for real, so the dry runs validate against their schemas.
  const crdFiles = ['serving', 'eventing'].flatMap((d) => readdirSync(join(KNATIVE_CRDS, d)).map((f) => join(KNATIVE_CRDS, d, f)));
  await kubectlOk(kubeconfig, ['apply', ...crdFiles.flatMap((f) => ['-f', f])]);
  const crdNames = crdFiles.flatMap((f) => objectsIn(readFileSync(f, 'utf8')).map((o) => `crd/${o.metadata.name}`));
  await kubectlOk(kubeconfig, ['wait', '--for', 'condition=established', '--timeout=60s', ...crdNames]);
  // Sluice's own CRDs, the way every other test installs them, so that can-i knows their resources.
  await ensureCrds(TypedKube.fromFile(kubeconfig));

  for (const ns of [W, N, F]) await kubectlOk(kubeconfig, ['create', 'namespace', ns]);
  // The platform namespace and all RBAC for real; everything else only as a server dry run.
  await kubectlOk(kubeconfig, ['apply', '-f', join(dir, 'knative/namespace.yaml')]);
  const rbac = generatedObjects(files, 'knative/').filter((o) => RBAC_KINDS.has(o.kind));
  const relayRbac = objectsIn(files.get('openfaas/event-relay.yaml')!).filter((o) => RBAC_KINDS.has(o.kind));
  // The `-targets` ClusterRoles have fixed names and the same rules for every platform
  // namespace: another test file's install (test/knative/) may be using them, so they stay.
  clusterScoped = [...rbac, ...relayRbac].filter(
    (o) => !o.metadata.namespace && !(o.kind === 'ClusterRole' && o.metadata.name.endsWith('-targets')),
  );
  await kubectlOk(kubeconfig, ['apply', '-f', '-'], toYaml([...rbac, ...relayRbac]));
}, 180_000);

afterAll(async () => {
  if (!kubeconfig) return;
  await kubectl(kubeconfig, ['delete', 'namespace', '--wait=false', '--ignore-not-found', P, W, T, N, F]);
  if (clusterScoped.length) await kubectl(kubeconfig, ['delete', '--ignore-not-found', '-f', '-'], toYaml(clusterScoped));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kubectl apply --dry-run=server', () => {
  const manifestFiles = () => [...files.keys()].filter((p) => p.endsWith('.yaml') && !p.endsWith('kustomization.yaml')).sort();

  it('accepts every generated manifest, and the server keeps every field', async () => {
    const problems: string[] = [];
    await pool(manifestFiles(), 4, async (path) => {
      const r = await kubectl(kubeconfig, ['apply', '--dry-run=server', '-o', 'json', '-f', join(dir, path)]);
      if (r.code !== 0) {
        problems.push(`${path}: ${r.stderr.trim()}`);
        return;
      }
      const out = JSON.parse(r.stdout) as { kind: string; items?: KubeObject[] };
      const items: KubeObject[] = out.kind === 'List' ? (out.items ?? []) : [out as KubeObject];
      for (const expected of objectsIn(files.get(path)!)) {
        const actual = items.find(
          (i) =>
            i.kind === expected.kind &&
            i.metadata.name === expected.metadata.name &&
            (i.metadata.namespace ?? '') === (expected.metadata.namespace ?? ''),
        );
        if (!actual) problems.push(`${path}: ${expected.kind}/${expected.metadata.name} not in the server's answer`);
        else problems.push(...missingFields(expected, actual).map((m) => `${path}: ${expected.kind}/${expected.metadata.name}${m}`));
      }
    });
    expect(problems).toEqual([]);
  }, 120_000);

  it('accepts both kustomizations as a whole (kubectl apply -k)', async () => {
    for (const k of ['knative', 'openfaas']) {
      const r = await kubectl(kubeconfig, ['apply', '--dry-run=server', '-k', join(dir, k)]);
      // (ensureCrds created the CRDs, so apply warns that they lack its last-applied annotation.)
      const complaints = r.stderr.split('\n').filter((l) => l.trim() && !/^Warning: .*last-applied-configuration/.test(l));
      expect(complaints, k).toEqual([]);
      expect(r.code, k).toBe(0);
      // kubectl apply -k lists each object once.
      const count = generatedObjects(files, `${k}/`).length;
      expect(r.stdout.trim().split('\n')).toHaveLength(count);
    }
  }, 120_000);
});

// ---------------------------------------------------------------------------------------
// RBAC, for real

type Where = { ns: string } | { all: true } | { cluster: true };
interface Check {
  who: string;
  saNamespace?: string;
  verb: string;
  resource: string;
  subresource?: string;
  where: Where;
  allowed: boolean;
}

async function canI(c: Check): Promise<boolean> {
  const args = ['auth', 'can-i', c.verb, c.resource, `--as=system:serviceaccount:${c.saNamespace ?? P}:${c.who}`];
  if ('ns' in c.where) args.push('-n', c.where.ns);
  if ('all' in c.where) args.push('--all-namespaces');
  if (c.subresource) args.push(`--subresource=${c.subresource}`);
  const r = await kubectl(kubeconfig, args);
  if (r.code > 1) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim() === 'yes';
}

const describeCheck = (c: Check) =>
  `${c.who} ${c.allowed ? 'may' : 'may not'} ${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''} ` +
  ('ns' in c.where ? `in ${c.where.ns}` : 'all' in c.where ? 'in all namespaces' : '(cluster)');

async function expectChecks(checks: Check[]) {
  const answers = await pool(checks, 6, canI);
  const wrong = checks.filter((c, i) => answers[i] !== c.allowed).map((c) => `wrongly: ${describeCheck(c)}`);
  expect(wrong).toEqual([]);
}

const yes = (who: string, verb: string, resource: string, where: Where, subresource?: string): Check => ({
  who,
  verb,
  resource,
  where,
  allowed: true,
  ...(subresource ? { subresource } : {}),
});
const no = (who: string, verb: string, resource: string, where: Where, subresource?: string): Check => ({
  ...yes(who, verb, resource, where, subresource),
  allowed: false,
});
const inNs = (ns: string): Where => ({ ns });
const ALL: Where = { all: true };
const CLUSTER: Where = { cluster: true };

const sa = (name: string) => serviceAccountName({ name });
const FD = 'flinkdeployments.sluice.dev';
const DT = 'deploymenttargets.sluice.dev';
const FJ = 'flinkjobs.sluice.dev';

describe('function service accounts (kubectl auth can-i)', () => {
  const odtc = sa('onDeploymentTargetCreate');
  const as = ['--as', `system:serviceaccount:${P}:${odtc}`];

  it("onDeploymentTargetCreate creates a target namespace and binds the functions' target roles there, and nothing more", async () => {
    // What its handler does, done as its service account.
    await kubectlOk(kubeconfig, ['create', 'namespace', T, ...as]);
    const withTargets = units.filter((u) => u.kind === 'events' && u.permissions.some((p) => p.scope === 'targets'));
    expect(withTargets.length).toBeGreaterThan(0);
    for (const fn of withTargets) {
      const binding = roleBinding(T, targetRoleName(fn), serviceAccountName(fn), P);
      await kubectlOk(kubeconfig, ['create', '-f', '-', ...as], JSON.stringify(binding));
    }
    // Binding anything else is an escalation the API server refuses.
    for (const role of ['cluster-admin', 'admin', 'edit']) {
      const other = { ...roleBinding(T, role, odtc, P), metadata: { name: `steal-${role}`, namespace: T } };
      const r = await kubectl(kubeconfig, ['create', '-f', '-', ...as], JSON.stringify(other));
      expect(r.code, role).not.toBe(0);
      expect(r.stderr, role).toMatch(/forbidden/i);
    }
  });

  it('applyPatchSet: reads Deployments and Targets, writes Deployment status, in the platform namespace only', () =>
    expectChecks([
      yes(sa('applyPatchSet'), 'get', FD, inNs(P)),
      yes(sa('applyPatchSet'), 'list', FD, inNs(P)),
      yes(sa('applyPatchSet'), 'watch', FD, inNs(P)),
      yes(sa('applyPatchSet'), 'get', DT, inNs(P)),
      yes(sa('applyPatchSet'), 'list', DT, inNs(P)),
      yes(sa('applyPatchSet'), 'update', FD, inNs(P), 'status'),
      no(sa('applyPatchSet'), 'update', FD, inNs(P)),
      no(sa('applyPatchSet'), 'create', FJ, inNs(P)),
      no(sa('applyPatchSet'), 'list', FD, inNs(N)),
      no(sa('applyPatchSet'), 'get', 'secrets', inNs(P)),
      no(sa('applyPatchSet'), 'create', 'configmaps', inNs(T)),
    ]));

  it('deploymentStep: creates Jobs and their Kubernetes objects in target namespaces only', () =>
    expectChecks([
      yes(sa('deploymentStep'), 'get', FD, inNs(P)),
      yes(sa('deploymentStep'), 'list', FD, inNs(P)),
      yes(sa('deploymentStep'), 'get', FJ, inNs(P)),
      yes(sa('deploymentStep'), 'list', FJ, inNs(P)),
      yes(sa('deploymentStep'), 'create', FJ, inNs(P)),
      yes(sa('deploymentStep'), 'update', FJ, inNs(P), 'status'),
      yes(sa('deploymentStep'), 'update', FD, inNs(P), 'status'),
      yes(sa('deploymentStep'), 'create', 'configmaps', inNs(T)),
      yes(sa('deploymentStep'), 'get', 'configmaps', inNs(T)),
      yes(sa('deploymentStep'), 'delete', 'configmaps', inNs(T)),
      yes(sa('deploymentStep'), 'create', 'services', inNs(T)),
      yes(sa('deploymentStep'), 'create', 'jobs.batch', inNs(T)),
      yes(sa('deploymentStep'), 'create', 'deployments.apps', inNs(T)),
      no(sa('deploymentStep'), 'create', 'configmaps', inNs(N)),
      no(sa('deploymentStep'), 'create', 'deployments.apps', inNs(N)),
      no(sa('deploymentStep'), 'create', 'configmaps', inNs(P)),
      // Its finalizer: the Deployment is not deleted before its jobs' objects are.
      yes(sa('deploymentStep'), 'update', FD, inNs(P)),
      no(sa('deploymentStep'), 'delete', FD, inNs(P)),
      no(sa('deploymentStep'), 'update', FJ, inNs(P)),
      no(sa('deploymentStep'), 'get', 'secrets', inNs(T)),
      no(sa('deploymentStep'), 'create', 'pods', inNs(T)),
    ]));

  it('onDeploymentTargetCreate: namespaces, RoleBindings, and bind on exactly the target roles', () =>
    expectChecks([
      yes(odtc, 'get', DT, inNs(P)),
      yes(odtc, 'list', DT, inNs(P)),
      yes(odtc, 'list', FD, inNs(P)),
      yes(odtc, 'update', DT, inNs(P), 'status'),
      yes(odtc, 'get', `namespaces/${T}`, CLUSTER),
      yes(odtc, 'create', 'namespaces', CLUSTER),
      yes(odtc, 'create', 'rolebindings.rbac.authorization.k8s.io', inNs(N)),
      yes(odtc, 'delete', 'rolebindings.rbac.authorization.k8s.io', inNs(T)),
      yes(odtc, 'bind', `clusterroles.rbac.authorization.k8s.io/${targetRoleName({ name: 'deploymentStep' })}`, CLUSTER),
      yes(odtc, 'bind', `clusterroles.rbac.authorization.k8s.io/${targetRoleName({ name: 'onJobPodStatus' })}`, CLUSTER),
      no(odtc, 'bind', 'clusterroles.rbac.authorization.k8s.io/cluster-admin', CLUSTER),
      no(odtc, 'bind', 'clusterroles.rbac.authorization.k8s.io/admin', CLUSTER),
      no(odtc, 'escalate', 'clusterroles.rbac.authorization.k8s.io', CLUSTER),
      no(odtc, 'create', 'clusterrolebindings.rbac.authorization.k8s.io', CLUSTER),
      no(odtc, 'delete', 'namespaces', CLUSTER),
      no(odtc, 'update', 'namespaces', CLUSTER),
      no(odtc, 'update', DT, inNs(P)),
      no(odtc, 'get', 'secrets', ALL),
    ]));

  it('onJobPodStatus: reads pods in target namespaces only, writes Job status', () =>
    expectChecks([
      yes(sa('onJobPodStatus'), 'get', 'pods', inNs(T)),
      yes(sa('onJobPodStatus'), 'list', 'pods', inNs(T)),
      yes(sa('onJobPodStatus'), 'watch', 'pods', inNs(T)),
      yes(sa('onJobPodStatus'), 'get', FJ, inNs(P)),
      yes(sa('onJobPodStatus'), 'update', FJ, inNs(P), 'status'),
      no(sa('onJobPodStatus'), 'get', 'pods', inNs(N)),
      no(sa('onJobPodStatus'), 'list', 'pods', inNs(N)),
      no(sa('onJobPodStatus'), 'list', 'pods', ALL),
      no(sa('onJobPodStatus'), 'update', FJ, inNs(P)),
      no(sa('onJobPodStatus'), 'get', 'secrets', inNs(T)),
    ]));

  it('onCrChanged: VvpDeployments, their Secrets and the claim ConfigMap in watched namespaces only; Deployments in the platform namespace', () =>
    expectChecks([
      ...['get', 'list', 'watch', 'update'].map((v) => yes(sa('onCrChanged'), v, 'vvpdeployments.ververica.platform', inNs(W))),
      yes(sa('onCrChanged'), 'update', 'vvpdeployments.ververica.platform', inNs(W), 'status'),
      yes(sa('onCrChanged'), 'get', 'secrets', inNs(W)),
      yes(sa('onCrChanged'), 'get', 'configmaps', inNs(W)),
      yes(sa('onCrChanged'), 'create', 'configmaps', inNs(W)),
      yes(sa('onCrChanged'), 'update', 'configmaps', inNs(W)),
      ...['get', 'list', 'watch', 'create', 'update'].map((v) => yes(sa('onCrChanged'), v, FD, inNs(P))),
      yes(sa('onCrChanged'), 'get', DT, inNs(P)),
      yes(sa('onCrChanged'), 'get', 'vnamespaces.sluice.dev', inNs(P)),
      yes(sa('onCrChanged'), 'create', 'savepoints.sluice.dev', inNs(P)),
      yes(sa('onCrChanged'), 'get', 'secrets', inNs(P)),
      no(sa('onCrChanged'), 'list', 'vvpdeployments.ververica.platform', inNs(N)),
      no(sa('onCrChanged'), 'get', 'secrets', inNs(N)),
      no(sa('onCrChanged'), 'list', 'secrets', inNs(W)),
      no(sa('onCrChanged'), 'list', 'secrets', inNs(P)),
      no(sa('onCrChanged'), 'create', 'configmaps', inNs(N)),
      no(sa('onCrChanged'), 'delete', 'configmaps', inNs(W)),
      no(sa('onCrChanged'), 'delete', FD, inNs(P)),
      no(sa('onCrChanged'), 'delete', 'vvpdeployments.ververica.platform', inNs(W)),
    ]));

  it('api: every Sluice resource and Secrets in the platform namespace; namespaces read-only', () =>
    expectChecks([
      ...['create', 'get', 'list', 'update', 'patch', 'delete'].map((v) => yes(sa('api'), v, FD, inNs(P))),
      yes(sa('api'), 'create', DT, inNs(P)),
      yes(sa('api'), 'get', 'vnamespaces.sluice.dev', inNs(P)),
      yes(sa('api'), 'create', 'savepoints.sluice.dev', inNs(P)),
      yes(sa('api'), 'list', FJ, inNs(P)),
      ...['get', 'list', 'create', 'delete'].map((v) => yes(sa('api'), v, 'secrets', inNs(P))),
      yes(sa('api'), 'get', `namespaces/${T}`, CLUSTER),
      yes(sa('api'), 'list', 'namespaces', CLUSTER),
      no(sa('api'), 'get', 'secrets', inNs(N)),
      no(sa('api'), 'list', 'secrets', ALL),
      no(sa('api'), 'list', FD, inNs(N)),
      no(sa('api'), 'list', 'pods', inNs(N)),
      no(sa('api'), 'create', 'pods', inNs(T)),
      no(sa('api'), 'create', 'namespaces', CLUSTER),
      no(sa('api'), 'create', 'rolebindings.rbac.authorization.k8s.io', inNs(P)),
    ]));

  it('every function: exactly its declared rules where declared, and never Secrets cluster-wide or RBAC escalation', async () => {
    const checks: Check[] = [];
    const CLUSTER_SCOPED = new Set(['namespaces', 'clusterroles', 'clusterrolebindings', 'nodes', 'customresourcedefinitions']);
    for (const unit of units) {
      const who = unitName(unit);
      for (const rule of unit.permissions) {
        for (const group of rule.apiGroups) {
          for (const res of rule.resources) {
            const [plural, subresource] = res.split('/') as [string, string | undefined];
            const names = rule.resourceNames ?? [undefined];
            for (const name of names) {
              const resource = `${plural}${group ? `.${group}` : ''}${name ? `/${name}` : ''}`;
              for (const verb of rule.verbs) {
                const clusterScoped = CLUSTER_SCOPED.has(plural);
                if (rule.scope === 'platform') {
                  checks.push(yes(who, verb, resource, inNs(P), subresource), no(who, verb, resource, inNs(N), subresource));
                } else if (rule.scope === 'watched') {
                  checks.push(yes(who, verb, resource, inNs(W), subresource), no(who, verb, resource, inNs(N), subresource));
                } else if (rule.scope === 'cluster') {
                  checks.push(yes(who, verb, resource, clusterScoped ? CLUSTER : ALL, subresource));
                } else if (unit.kind === 'events') {
                  // Target rules: bound in T by onDeploymentTargetCreate (first test above), nowhere else.
                  checks.push(yes(who, verb, resource, inNs(T), subresource), no(who, verb, resource, inNs(N), subresource));
                } else {
                  checks.push(no(who, verb, resource, inNs(N), subresource));
                }
              }
            }
          }
        }
      }
      checks.push(
        no(who, 'get', 'secrets', ALL),
        no(who, 'list', 'secrets', inNs(N)),
        no(who, 'create', 'clusterrolebindings.rbac.authorization.k8s.io', CLUSTER),
        no(who, 'escalate', 'roles.rbac.authorization.k8s.io', inNs(P)),
        no(who, 'impersonate', 'serviceaccounts', ALL),
      );
    }
    await expectChecks(checks);
  }, 120_000);
});

describe('event source service accounts (kubectl auth can-i)', () => {
  it('each ApiServerSource may only get/list/watch its resource where it watches', async () => {
    const checks: Check[] = [];
    for (const stream of streamsOf(units)) {
      const { resource, scope } = stream.sub;
      const group = resource.apiVersion.includes('/') ? resource.apiVersion.split('/')[0] : '';
      const res = `${resource.plural}${group ? `.${group}` : ''}`;
      const where = scope === 'platform' ? inNs(P) : scope === 'watched' ? inNs(W) : ALL;
      for (const verb of ['get', 'list', 'watch']) checks.push(yes(stream.name, verb, res, where));
      if (scope !== 'cluster') checks.push(no(stream.name, 'list', res, inNs(N)));
      checks.push(no(stream.name, 'create', res, where), no(stream.name, 'delete', res, where), no(stream.name, 'get', 'secrets', inNs(P)));
    }
    await expectChecks(checks);
  });

  it('the OpenFaaS event relay may only get/list/watch what the streams watch', async () => {
    const checks: Check[] = [];
    for (const stream of streamsOf(units)) {
      const { resource, scope } = stream.sub;
      const group = resource.apiVersion.includes('/') ? resource.apiVersion.split('/')[0] : '';
      const res = `${resource.plural}${group ? `.${group}` : ''}`;
      const where = scope === 'platform' ? inNs(F) : scope === 'watched' ? inNs(W) : ALL;
      for (const verb of ['get', 'list', 'watch']) checks.push({ ...yes(EVENT_RELAY, verb, res, where), saNamespace: F });
      checks.push({ ...no(EVENT_RELAY, 'update', res, where), saNamespace: F });
    }
    checks.push(
      { ...no(EVENT_RELAY, 'get', 'secrets', inNs(F)), saNamespace: F },
      { ...no(EVENT_RELAY, 'create', 'pods', inNs(F)), saNamespace: F },
    );
    await expectChecks(checks);
  });
});
