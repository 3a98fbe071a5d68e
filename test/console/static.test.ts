import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { consoleRoutes, loadConsole } from '../../functions/api/console.js';

/** The browser modules are plain JS without types: loaded through a non-literal specifier. */
async function browserModule<T>(rel: string): Promise<T> {
  const url: string = new URL(`../../functions/api/console/${rel}`, import.meta.url).href;
  return (await import(url)) as T;
}

describe('console static files', () => {
  const app = consoleRoutes(new Hono());
  const { version } = loadConsole();

  it('serves index.html at / with the versioned asset paths, revalidated, with a strict CSP', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain(`/console/v-${version}/app.js`);
    expect(html).not.toContain('%VERSION%');
    // No external resources: everything is on this origin.
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('serves versioned files immutable and unversioned ones revalidated, with their content types', async () => {
    const versioned = await app.request(`/console/v-${version}/app.js`);
    expect(versioned.status).toBe(200);
    expect(versioned.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(versioned.headers.get('cache-control')).toContain('immutable');
    const css = await app.request('/console/style.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('no-cache');
    const page = await app.request(`/console/v-${version}/pages/deployments.js`);
    expect(page.status).toBe(200);
    // An old version's path still works, but is not pinned in caches.
    const stale = await app.request('/console/v-000000000000/app.js');
    expect(stale.status).toBe(200);
    expect(stale.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers 304 to a matching ETag, and 404 for unknown or traversing paths', async () => {
    const first = await app.request('/console/style.css');
    const again = await app.request('/console/style.css', { headers: { 'if-none-match': first.headers.get('etag')! } });
    expect(again.status).toBe(304);
    for (const path of ['/console/nope.js', '/console/../console.ts', '/console/%2e%2e/console.ts', '/console/v-x/../../pods.ts']) {
      expect((await app.request(path)).status, path).toBe(404);
    }
  });
});

describe('console without its files', () => {
  it('keeps the API up and says what is missing', async () => {
    const app = consoleRoutes(new Hono(), { dir: '/nonexistent/console' });
    app.get('/api/v1/status', (c) => c.json({ status: 'OK' }));
    const res = await app.request('/');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toMatch(/web console is not installed/);
    expect((await app.request('/api/v1/status')).status).toBe(200);
  });
});

describe('console YAML writer', () => {
  it('writes YAML that the server parses back to the same value', async () => {
    const { toYaml } = await browserModule<{ toYaml(v: unknown): string }>('yaml.js');
    const value = {
      kind: 'Deployment',
      metadata: { name: 'TopSpeedWindowing', labels: {}, annotations: { 'a/b': 'x: y', n: '42' } },
      spec: {
        state: 'RUNNING',
        template: {
          spec: {
            artifact: {
              kind: 'JAR',
              jarUri: 'https://repo1.maven.org/x-1.9.1.jar',
              flinkVersion: '1.9',
              flinkImageTag: '1.9.1-stream1-scala_2.12',
            },
            parallelism: 1,
            resources: { jobmanager: { cpu: 0.5, memory: '1G' } },
            flinkConfiguration: {
              'taskmanager.numberOfTaskSlots': '2',
              empty: '',
              yes: 'yes',
              t: 'true',
              nul: null,
              hash: 'a #b',
              dash: '- x',
              multi: 'a\nb',
              quote: '"q"',
            },
            kubernetes: {
              pods: {
                envVars: [
                  { name: 'A', value: '1' },
                  { name: 'B', valueFrom: { x: [1, 'two', []] } },
                ],
                tolerations: [],
              },
            },
          },
        },
      },
    };
    const text = toYaml(value);
    expect(parse(text)).toEqual(value);
    expect(text).toContain('flinkVersion: "1.9"');
    expect(text).toContain('flinkImageTag: 1.9.1-stream1-scala_2.12');
  });

  it('embeds a patch set typed as JSON or YAML into a target the server parses', async () => {
    const { targetYaml } = await browserModule<{ targetYaml(n: string, k: string, p: string): string }>('yaml.js');
    const ops = [{ op: 'add', path: '/spec/template/spec/parallelism', value: 2 }];
    expect(parse(targetYaml('t', 'ns', JSON.stringify(ops, null, 2)))).toMatchObject({ spec: { deploymentPatchSet: ops } });
    expect(parse(targetYaml('t', '', '- op: add\n  path: /spec/template/spec/parallelism\n  value: 2'))).toMatchObject({
      spec: { deploymentPatchSet: ops },
    });
    expect(parse(targetYaml('vvp-jobs-team-1', 'vvp-jobs-team-1', '  '))).toEqual({
      kind: 'DeploymentTarget',
      apiVersion: 'v1',
      metadata: { name: 'vvp-jobs-team-1' },
      spec: { kubernetes: { namespace: 'vvp-jobs-team-1' } },
    });
    expect(parse(targetYaml('x', '', ''))).toMatchObject({ spec: {} });
  });
});
