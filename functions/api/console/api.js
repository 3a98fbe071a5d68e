// @ts-check
/* global sessionStorage, fetch */
// Talks to Sluice's REST API on this origin with the signed-in API token.

const TOKEN_KEY = 'sluice.token';

export const session = {
  /** True when the server runs without authentication (SLUICE_AUTH=off): no token needed. */
  authOff: false,
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  get signedIn() {
    return this.authOff || !!this.token;
  },
  signIn(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    void flinkUiSession('POST');
  },
  signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    void flinkUiSession('DELETE');
  },
};

/**
 * The Flink UI opens as a page of its own, which cannot send the token as a header: the
 * server keeps the sign-in in a cookie for /flink-ui/v1 only (POST), and forgets it (DELETE).
 * Best effort: without it the Flink UI answers 401, and the console still works.
 */
export async function flinkUiSession(method = 'POST') {
  const token = session.token;
  if (method === 'POST' && !token) return;
  await fetch('/flink-ui/v1/session', { method, headers: token ? { Authorization: `Bearer ${token}` } : {}, cache: 'no-store' }).catch(
    () => undefined,
  );
}

/** A refused request: `status` and the server's `message` (which starts with the field path at fault). */
export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

/** @type {(message: string) => void} */
let unauthorized = () => {};
/** Called when the server answers 401: the token expired or was deleted. */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/**
 * One request. `body` is sent as JSON, or `yaml` (a string) as application/yaml so that the
 * server parses and validates it. Resolves to the parsed JSON answer.
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, yaml?: string, token?: string | null, signal?: AbortSignal }} [options]
 * @returns {Promise<any>}
 */
export async function api(method, path, { body, yaml, token = session.token, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (yaml !== undefined) {
    headers['Content-Type'] = 'application/yaml';
    payload = yaml;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, signal, cache: 'no-store' });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, `cannot reach Sluice: ${err && err.message ? err.message : err}`);
  }
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = { message: text };
  }
  if (!res.ok) {
    const message = (data && typeof data.message === 'string' && data.message) || `${res.status} ${res.statusText}`;
    if (res.status === 401 && token === session.token) unauthorized(message);
    throw new ApiError(res.status, message, data);
  }
  return data;
}

const enc = encodeURIComponent;

/** Paths of the REST API. */
export const paths = {
  namespaces: () => '/namespaces/v1/namespaces',
  tokens: (ns) => `/apitokens/v1/namespaces/${enc(ns)}/apitokens`,
  token: (ns, name) => `/apitokens/v1/namespaces/${enc(ns)}/apitokens/${enc(name)}`,
  targets: (ns) => `/api/v1/namespaces/${enc(ns)}/deployment-targets`,
  target: (ns, name) => `/api/v1/namespaces/${enc(ns)}/deployment-targets/${enc(name)}`,
  deployments: (ns) => `/api/v1/namespaces/${enc(ns)}/deployments`,
  deployment: (ns, id) => `/api/v1/namespaces/${enc(ns)}/deployments/${enc(id)}`,
  pods: (ns, id) => `/api/v1/namespaces/${enc(ns)}/deployments/${enc(id)}/pods`,
  jobs: (ns, deploymentId) => `/api/v1/namespaces/${enc(ns)}/jobs?deploymentId=${enc(deploymentId)}`,
  /** The job's Flink web UI, through Sluice (a page, not the REST API). */
  flinkUi: (ns, jobId) => `/flink-ui/v1/namespaces/${enc(ns)}/jobs/${enc(jobId)}/`,
  savepoints: (ns, deploymentId) => `/api/v1/namespaces/${enc(ns)}/savepoints?deploymentId=${enc(deploymentId)}`,
  events: (ns, deploymentId) => `/api/v1/namespaces/${enc(ns)}/events?deploymentId=${enc(deploymentId)}`,
  deploymentDefaults: (ns) => `/api/v1/namespaces/${enc(ns)}/deployment-defaults`,
  secretValues: (ns) => `/api/v1/namespaces/${enc(ns)}/secret-values`,
};

/** `namespaces/x` → `x`. */
export const nsName = (ns) => String(ns.name ?? '').replace(/^namespaces\//, '');
/** `namespaces/x/apitokens/t` → `t`. */
export const tokenName = (t) => String(t.name ?? '').replace(/^namespaces\/[^/]+\/apitokens\//, '');
