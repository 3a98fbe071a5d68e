import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { defaultAccess, kubeconfigFileAccess, ownKubeconfigAccess, serviceAccountAccess } from '../../shared/kube/access.js';

const dir = mkdtempSync(join(tmpdir(), 'kube-access-'));
writeFileSync(join(dir, 'ca.crt'), 'CA FROM FILE');
writeFileSync(join(dir, 'token'), 'token-from-file\n');

const own = (path: string, text = readFileSync(path, 'utf8')) => ownKubeconfigAccess(path, parse(text));

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>, name = 'config'): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'other', cluster: { server: 'https://other:6443' } },
        { name: 'c', cluster },
      ],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    }),
  );
  return path;
}

describe('reading a kubeconfig without client-node', () => {
  it('takes the current context: its server, a bearer token, the CA given inline', async () => {
    const access = own(
      kubeconfig(
        { server: 'https://api.example:6443/', 'certificate-authority-data': Buffer.from('INLINE CA').toString('base64') },
        { token: 's3cret' },
      ),
    )!;
    expect(access.server).toBe('https://api.example:6443');
    expect(await access.endpoint()).toBe('https://api.example:6443');
    const creds = await access.credentials();
    expect(creds.headers).toEqual({ authorization: 'Bearer s3cret' });
    expect(String(creds.ca)).toBe('INLINE CA');
    expect(creds.rejectUnauthorized).toBeUndefined();
  });

  it('reads files relative to the kubeconfig, and a client certificate instead of a token', async () => {
    writeFileSync(join(dir, 'client.crt'), 'CERT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    const access = own(
      kubeconfig(
        { server: 'https://api:6443', 'certificate-authority': 'ca.crt', 'tls-server-name': 'kubernetes' },
        { 'client-certificate': 'client.crt', 'client-key': join(dir, 'client.key') },
      ),
    )!;
    const creds = await access.credentials();
    expect([String(creds.ca), String(creds.cert), String(creds.key), creds.servername]).toEqual([
      'CA FROM FILE',
      'CERT',
      'KEY',
      'kubernetes',
    ]);
    expect(creds.headers).toEqual({});
  });

  it('skips verification only when the kubeconfig says so, and reads a token file', async () => {
    const access = own(kubeconfig({ server: 'https://127.0.0.1:6443', 'insecure-skip-tls-verify': true }, { tokenFile: 'token' }))!;
    const creds = await access.credentials();
    expect(creds.rejectUnauthorized).toBe(false);
    expect(creds.headers.authorization).toBe('Bearer token-from-file');
  });

  it('leaves exec plugins, auth providers and proxies to client-node', async () => {
    const exec = kubeconfig(
      { server: 'https://eks:443' },
      { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws' } },
      'exec',
    );
    expect(own(exec)).toBeUndefined();
    expect(own(kubeconfig({ server: 'https://a:1', 'proxy-url': 'http://proxy:3128' }, { token: 't' }, 'proxy'))).toBeUndefined();
    expect(own(kubeconfig({ server: 'https://a:1' }, { 'auth-provider': { name: 'oidc' } }, 'oidc'))).toBeUndefined();
    // Through client-node, the server is still found.
    expect(await kubeconfigFileAccess(exec).endpoint()).toBe('https://eks:443');
  });

  it('refuses a file that is not a kubeconfig, naming it, and a missing one at once', async () => {
    expect(() => kubeconfigFileAccess(join(dir, 'nowhere'))).toThrow(/ENOENT/);
    const path = join(dir, 'broken');
    writeFileSync(path, '- just a list');
    expect(() => own(path)).toThrow(/kubeconfig .*broken is not a YAML mapping/);
    await expect(kubeconfigFileAccess(path).credentials()).rejects.toThrow(/not a YAML mapping/);
    // A current context that is not there: client-node reads it, and says what is wrong.
    expect(own(path, 'current-context: missing\n')).toBeUndefined();
  });
});

describe("a pod's service account", () => {
  it('calls the cluster service with the mounted CA and token', async () => {
    const access = serviceAccountAccess({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    expect(access.server).toBe('https://[fd00::1]:443');
    const creds = await access.credentials();
    expect(String(creds.ca)).toBe('CA FROM FILE');
    expect(creds.headers.authorization).toBe('Bearer token-from-file');
  });

  it('comes after $KUBECONFIG and ~/.kube/config, as in kubectl', async () => {
    const path = kubeconfig({ server: 'https://from-env:6443' }, { token: 't' }, 'env');
    expect(await defaultAccess({ KUBECONFIG: path, HOME: dir }).endpoint()).toBe('https://from-env:6443');
  });
});
