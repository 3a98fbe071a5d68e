import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePorts } from './ports.js';
import { type Daemon, killStale, requireCommand, spawnDaemon, waitFor } from './process.js';

/**
 * A real, local Kubernetes control plane without containers: etcd, kube-apiserver with RBAC
 * and static tokens, and kube-controller-manager (GC, ReplicaSets, Deployments, Jobs,
 * namespaces, service accounts), of the release scripts/kube/go.mod pins (built by
 * scripts/build-kube.sh). No scheduler and no kubelet: see pod-simulator.ts.
 */

export const USERS = ['admin', 'alice', 'bob'] as const;
export type User = (typeof USERS)[number];

export interface LocalCluster {
  /** Admin kubeconfig (group system:masters). */
  kubeconfig: string;
  /** https://127.0.0.1:<port> */
  server: string;
  tokens: Record<User, string>;
  kubeconfigFor(user: User): string;
  /** Current process ids; kube-apiserver's changes on restartApiServer(). */
  readonly pids: { etcd: number; apiserver: number; controllerManager: number };
  stop(): Promise<void>;
  /** Stops and restarts only kube-apiserver (same port, same etcd): for fault tests. */
  restartApiServer(): Promise<void>;
}

export interface LocalClusterOptions {
  dir: string;
  log?: (line: string) => void;
}

/**
 * Everything kube-controller-manager runs by default except what needs nodes, volumes or a
 * cloud: no kubelet runs here (the pod simulator stands in for it). Names as of 1.34.
 */
const CONTROLLERS = [
  '*',
  '-node-ipam-controller',
  '-node-lifecycle-controller',
  '-taint-eviction-controller',
  '-ttl-controller',
  '-service-lb-controller',
  '-node-route-controller',
  '-cloud-node-lifecycle-controller',
  '-persistentvolume-attach-detach-controller',
  '-persistentvolume-binder-controller',
  '-persistentvolume-expander-controller',
].join(',');

/**
 * kube-apiserver's graceful shutdown waits for open watches to end (up to a minute); its
 * state is all in etcd, so it is killed after a short grace instead.
 */
const API_STOP_GRACE_MS = 2000;

export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  const dir = resolve(opts.dir);
  const log = opts.log ?? ((line: string) => process.stderr.write(`[local-cluster] ${line}\n`));
  mkdirSync(dir, { recursive: true });
  const pidsFile = join(dir, 'pids');
  await killStale(pidsFile, dir);

  const bin = await ensureKubeBinaries(log);
  const pki = ensurePki(dir);
  const tokens = ensureTokens(join(dir, 'tokens.csv'));
  const [etcdPort, peerPort, apiPort] = (await freePorts(3)) as [number, number, number];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfigs = writeKubeconfigs(dir, server, tokens);

  const daemons: Daemon[] = [];
  const started = Date.now();
  const stopAll = async () => {
    for (const d of [...daemons].reverse()) await d.stop(d.name === 'kube-apiserver' ? API_STOP_GRACE_MS : undefined);
    daemons.length = 0;
    rmSync(pidsFile, { force: true });
  };
  try {
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = spawnDaemon(
      'etcd',
      join(bin, 'etcd'),
      [
        '--name=sluice',
        `--data-dir=${etcdDataDir(dir, bin, log)}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=sluice=${peerUrl}`,
        '--logger=zap',
        '--log-level=warn',
      ],
      join(dir, 'etcd.log'),
    );
    daemons.push(etcd);
    await waitFor('etcd', async () => ((await httpGet(`${etcdUrl}/health`)).includes('"true"') ? true : undefined), { watch: [etcd] });
    log(`etcd ready on ${etcdUrl}`);

    const apiArgs = [
      `--etcd-servers=${etcdUrl}`,
      `--secure-port=${apiPort}`,
      '--bind-address=127.0.0.1',
      `--cert-dir=${pki.certDir}`,
      '--authorization-mode=RBAC',
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${pki.publicKey}`,
      `--service-account-signing-key-file=${pki.privateKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      // Deployments' event logs are Kubernetes Events: kept a week, not the default hour.
      '--event-ttl=168h',
    ];
    const startApi = async () => {
      const api = spawnDaemon('kube-apiserver', join(bin, 'kube-apiserver'), apiArgs, join(dir, 'kube-apiserver.log'));
      daemons.splice(1, 0, api);
      await waitFor(
        'kube-apiserver /readyz',
        async () => ((await apiGet(server, tokens.admin, '/readyz')).status === 200 ? true : undefined),
        { watch: [api], timeoutMs: 120_000 },
      );
      return api;
    };
    let api = await startApi();
    log(`kube-apiserver ready at ${server}`);

    const kcm = spawnDaemon(
      'kube-controller-manager',
      join(bin, 'kube-controller-manager'),
      [
        `--kubeconfig=${kubeconfigs.admin}`,
        '--leader-elect=false',
        `--controllers=${CONTROLLERS}`,
        `--service-account-private-key-file=${pki.privateKey}`,
        `--root-ca-file=${join(pki.certDir, 'apiserver.crt')}`,
        '--use-service-account-credentials=false',
        '--secure-port=0',
        // The defaults (20 qps) make GC and ReplicaSets crawl when tests create many objects.
        '--kube-api-qps=200',
        '--kube-api-burst=400',
      ],
      join(dir, 'kube-controller-manager.log'),
    );
    daemons.push(kcm);

    // Pods are refused until their namespace's default service account exists.
    await waitFor(
      'the default service account',
      async () => {
        const res = await apiGet(server, tokens.admin, '/api/v1/namespaces/default/serviceaccounts/default');
        return res.status === 200 ? true : undefined;
      },
      { watch: [etcd, api, kcm], timeoutMs: 120_000 },
    );

    const pids = () => ({ etcd: etcd.pid, apiserver: api.pid, controllerManager: kcm.pid });
    const writePids = () => writeFileSync(pidsFile, JSON.stringify(pids()));
    writePids();
    log(`local cluster ready in ${((Date.now() - started) / 1000).toFixed(1)}s; kubeconfig ${kubeconfigs.admin}`);

    return {
      kubeconfig: kubeconfigs.admin,
      server,
      tokens,
      kubeconfigFor: (user) => kubeconfigs[user],
      get pids() {
        return pids();
      },
      stop: stopAll,
      async restartApiServer() {
        await api.stop(API_STOP_GRACE_MS);
        daemons.splice(daemons.indexOf(api), 1);
        api = await startApi();
        writePids();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * etcd's data directory for the Kubernetes minor release in `bin` (…/kube-1.34.4/bin): the
 * control plane upgrades one minor release at a time, so data an older release wrote (in
 * `etcd`, or `etcd-<minor>`) is left where it is and this release starts empty.
 */
function etcdDataDir(dir: string, bin: string, log: (line: string) => void): string {
  const minor = kubeMinorRelease(bin);
  const current = join(dir, `etcd-${minor}`);
  const older = readdirSync(dir).filter((name) => /^etcd(-\d+\.\d+)?$/.test(name) && name !== `etcd-${minor}`);
  if (!existsSync(current) && older.length)
    log(`starting with empty etcd data for Kubernetes ${minor}; older releases' data left in ${older.join(', ')}`);
  return current;
}

/** "1.34" for a binary directory …/kube-1.34.4/bin, as scripts/build-kube.sh names them. */
export function kubeMinorRelease(bin: string): string {
  const match = /kube-(\d+\.\d+)\.\d+\/bin\/?$/.exec(bin);
  if (!match?.[1]) throw new Error(`not a Kubernetes binary directory (…/kube-<version>/bin): ${bin}`);
  return match[1];
}

/** Runs scripts/build-kube.sh (instant when cached) and returns the directory of the binaries. */
export async function ensureKubeBinaries(log: (line: string) => void): Promise<string> {
  requireCommand('bash', 'bash');
  const script = fileURLToPath(new URL('../../scripts/build-kube.sh', import.meta.url));
  const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  createInterface(child.stderr).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > 40) stderr.shift();
    log(line);
  });
  const code = await new Promise<number | null>((res, rej) => child.once('error', rej).once('close', res));
  const dir = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !dir) {
    throw new Error(`scripts/build-kube.sh failed (exit ${code}):\n${stderr.slice(-15).join('\n')}`);
  }
  return dir;
}

/**
 * Service account signing keys (node:crypto, no openssl needed). Kept across restarts of the
 * same dir so tokens already issued, and the data in etcd, stay valid.
 */
function ensurePki(dir: string) {
  const certDir = join(dir, 'pki');
  mkdirSync(certDir, { recursive: true });
  const privateKey = join(certDir, 'sa.key');
  const publicKey = join(certDir, 'sa.pub');
  if (!existsSync(privateKey) || !existsSync(publicKey)) {
    const pair = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    writeFileSync(privateKey, pair.privateKey, { mode: 0o600 });
    writeFileSync(publicKey, pair.publicKey);
  }
  return { certDir, privateKey, publicKey };
}

/** Static token file: token,user,uid,"groups". Only admin gets a group beyond system:authenticated. */
function ensureTokens(file: string): Record<User, string> {
  if (existsSync(file)) {
    const tokens: Partial<Record<User, string>> = {};
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [token, user] = line.split(',');
      if (token && (USERS as readonly string[]).includes(user ?? '')) tokens[user as User] = token;
    }
    if (USERS.every((u) => tokens[u])) return tokens as Record<User, string>;
  }
  const tokens = Object.fromEntries(USERS.map((u) => [u, randomBytes(24).toString('hex')])) as Record<User, string>;
  const lines = USERS.map((u) => `${tokens[u]},${u},${u}${u === 'admin' ? ',"system:masters"' : ''}`);
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return tokens;
}

/** `<dir>/kubeconfig` for admin, `<dir>/kubeconfig-<user>` for the others. */
function writeKubeconfigs(dir: string, server: string, tokens: Record<User, string>): Record<User, string> {
  const paths = {} as Record<User, string>;
  for (const user of USERS) {
    const path = join(dir, user === 'admin' ? 'kubeconfig' : `kubeconfig-${user}`);
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      // The serving certificate is self-signed by kube-apiserver itself on first start.
      clusters: [{ name: 'sluice-local', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: user, user: { token: tokens[user] } }],
      contexts: [{ name: `sluice-local-${user}`, context: { cluster: 'sluice-local', user } }],
      'current-context': `sluice-local-${user}`,
    };
    writeFileSync(path, stringify(config), { mode: 0o600 });
    paths[user] = path;
  }
  return paths;
}

async function httpGet(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return res.text();
}

/** GET on the API server before any kubeconfig-based client is worth building. */
function apiGet(server: string, token: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const req = request(
      `${server}${path}`,
      { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 5000 },
      (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => res({ status: r.statusCode ?? 0, body }));
        r.on('error', rej);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end();
  });
}
