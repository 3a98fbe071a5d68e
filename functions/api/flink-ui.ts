import type { Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { BadInput, Unavailable } from '../../shared/runtime/errors.js';
import { FlinkUnreachable, configuredResolver } from '../../shared/vvp/flink-rest.js';
import { type ApiEnv, UI_COOKIE, allow } from './auth.js';
import type { ApiDeps } from './index.js';

/** Where the proxy lives; the console's sign-in cookie is scoped to it. */
export const FLINK_UI_PREFIX = '/flink-ui/v1';
const PROXY_TIMEOUT_MS = 15_000;
/** Headers passed on to the JobManager: what its web UI and REST API read. */
const FORWARDED = ['accept', 'content-type', 'accept-encoding', 'if-none-match', 'if-modified-since'];
/** Headers of the JobManager's answer passed back to the browser. */
const RETURNED = ['content-type', 'content-encoding', 'cache-control', 'etag', 'last-modified', 'location'];

/**
 * The Flink web UI and REST API of a job's JobManager, through Sluice, as VVP offers it:
 * `/flink-ui/v1/namespaces/{ns}/jobs/{jobId}/<path>` is `<path>` on the JobManager (its UI
 * uses relative URLs, so it works under this prefix). Reading needs a role in the vNamespace
 * (viewer and up), anything else (cancelling from the UI, say) editor; another tenant, or a
 * job that does not exist, is 404. Authenticated with an API token, or with the console's
 * sign-in: `POST /flink-ui/v1/session` with the token puts it in an HttpOnly cookie for
 * these paths only, so that a link the console opens carries it.
 */
export function flinkUiRoutes(app: Hono<ApiEnv>, { ctx, platform, namespaces }: ApiDeps) {
  const resolve = configuredResolver(ctx.kube);
  const secure = (url: string) => url.startsWith('https:');

  app.post(`${FLINK_UI_PREFIX}/session`, (c) => {
    const token = c.req.header('authorization')?.replace(/^Bearer\s+/i, '');
    if (token) setCookie(c, UI_COOKIE, token, { path: FLINK_UI_PREFIX, httpOnly: true, sameSite: 'Strict', secure: secure(c.req.url) });
    return c.body(null, 204);
  });
  app.delete(`${FLINK_UI_PREFIX}/session`, (c) => {
    deleteCookie(c, UI_COOKIE, { path: FLINK_UI_PREFIX });
    return c.body(null, 204);
  });

  // The UI loads its assets relative to the page: the job's root needs its trailing slash.
  app.get(`${FLINK_UI_PREFIX}/namespaces/:ns/jobs/:jobId`, (c) => c.redirect(`${c.req.path}/`, 301));

  app.all(`${FLINK_UI_PREFIX}/namespaces/:ns/jobs/:jobId/*`, async (c) => {
    const vns = c.req.param('ns');
    const read = c.req.method === 'GET' || c.req.method === 'HEAD';
    await allow(c, namespaces, vns, 'jobs', read ? 'read' : 'write');
    const job = await platform.getJob(vns, c.req.param('jobId'));
    const url = new URL(c.req.url);
    const prefix = `${FLINK_UI_PREFIX}/namespaces/${encodeURIComponent(vns)}/jobs/${encodeURIComponent(job.spec.metadata.id)}/`;
    const suffix = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : '';
    if (suffix.split('/').some((part) => part === '..' || part === '.')) throw new BadInput('the path may not contain . or .. segments');

    let endpoint: string;
    try {
      endpoint = await resolve({ namespace: job.spec.spec.targetNamespace, jobId: job.spec.metadata.id });
    } catch (err) {
      if (err instanceof FlinkUnreachable)
        throw new Unavailable(`job ${job.spec.metadata.id} has no running JobManager (state ${job.status?.state ?? 'STARTING'})`);
      throw err;
    }
    const headers: Record<string, string> = {};
    for (const name of FORWARDED) {
      const value = c.req.header(name);
      if (value) headers[name] = value;
    }
    let res: Response;
    try {
      res = await fetch(`${endpoint}/${suffix}${url.search}`, {
        method: c.req.method,
        headers,
        ...(read ? {} : { body: await c.req.arrayBuffer() }),
        redirect: 'manual',
        signal: AbortSignal.timeout(PROXY_TIMEOUT_MS),
      });
    } catch (err) {
      throw new Unavailable(`the JobManager of job ${job.spec.metadata.id} did not answer: ${(err as Error).message}`, { cause: err });
    }
    const out = new Headers();
    for (const name of RETURNED) {
      const value = res.headers.get(name);
      if (value) out.set(name, value);
    }
    // fetch decoded a compressed body already.
    out.delete('content-encoding');
    return new Response(read && c.req.method === 'HEAD' ? null : await res.arrayBuffer(), { status: res.status, headers: out });
  });
}
