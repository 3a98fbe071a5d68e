import { createHash } from 'node:crypto';

/** Sluice's own API group and version for its internal custom resources (ARCHITECTURE.md). */
export const API_GROUP = 'sluice.dev';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

/** Labels every internal object carries, so lookups by vNamespace or id are label selections. */
export const LABELS = {
  vnamespace: `${API_GROUP}/vnamespace`,
  id: `${API_GROUP}/id`,
  targetId: `${API_GROUP}/target-id`,
  deploymentId: `${API_GROUP}/deployment-id`,
  jobId: `${API_GROUP}/job-id`,
  kind: `${API_GROUP}/kind`,
} as const;

/**
 * On a FlinkDeployment while one of its jobs may have Kubernetes objects in the target
 * namespace: deleting the Deployment waits until deploymentStep has deleted them (those
 * objects live in another namespace, so owner references cannot collect them).
 */
export const JOB_RESOURCES_FINALIZER = `${API_GROUP}/job-resources`;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** RFC 1123 label, as Kubernetes namespaces require: lowercase alphanumerics and '-', at most 63. */
export const isDnsLabel = (s: string) => s.length <= 63 && DNS_LABEL.test(s);
/** RFC 1123 subdomain, as Kubernetes object names require: at most 253. */
export const isDnsSubdomain = (s: string) => s.length <= 253 && DNS_SUBDOMAIN.test(s);
/** A valid Kubernetes label value (may be empty). */
export const isLabelValue = (s: string) => s.length <= 63 && LABEL_VALUE.test(s);

/** Why a string is not a valid DNS label, or undefined if it is. */
export function dnsLabelProblem(s: string): string | undefined {
  if (s.length === 0) return 'must not be empty';
  if (s.length > 63) return `must be at most 63 characters (has ${s.length})`;
  if (!DNS_LABEL.test(s)) return 'must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit';
  return undefined;
}

/**
 * Why a string is not a valid vNamespace name, or undefined if it is. vNamespace names are
 * DNS labels: they prefix every internal object name (`<vns>.<...>`) and are label values.
 */
export const vnsNameProblem = dnsLabelProblem;
export const isVnsName = (s: string) => vnsNameProblem(s) === undefined;

/**
 * VVP's pod labels: a name reformatted to a valid label value, e.g. "My Deployment Name" becomes
 * "my-deployment-name": lowercase, every run of other characters to one '-', cut to 63,
 * then leading and trailing non-alphanumerics stripped.
 */
export function labelValue(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 63)
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
}

/** Lowercase alphanumerics and single '-' (no leading/trailing), at most `max` characters. */
export function slug(name: string, max = 63): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, max)
    .replace(/-+$/, '');
}

const HASH_LENGTH = 8;
const shortHash = (name: string) => createHash('sha256').update(name, 'utf8').digest('hex').slice(0, HASH_LENGTH);

function assertVns(vns: string): void {
  const problem = vnsNameProblem(vns);
  if (problem) throw new Error(`invalid vNamespace name ${JSON.stringify(vns)}: ${problem}`);
}

/**
 * The Kubernetes name of a named VVP object (Deployment, DeploymentTarget) in a vNamespace:
 * `<vns>.<slug(name)>-<first 8 hex of sha256(name)>`. Readable in `kubectl get`;
 * deterministic, so a lookup by name is one GET; the hash keeps names apart that slug to
 * the same text ("My Job" / "my-job"). The slug is cut so the whole is a valid DNS
 * subdomain (at most 253); a name with no alphanumerics at all gives `<vns>.<hash>`.
 */
export function objectName(vns: string, name: string): string {
  assertVns(vns);
  const hash = shortHash(name);
  const s = slug(name, 253 - vns.length - 1 - 1 - HASH_LENGTH);
  return s ? `${vns}.${s}-${hash}` : `${vns}.${hash}`;
}

/** Kubernetes name of a Job: `<vns>.<jobId>` (ids are unique already). */
export function jobObjectName(vns: string, jobId: string): string {
  assertVns(vns);
  return `${vns}.${jobId.toLowerCase()}`;
}

/** Kubernetes name of a Savepoint: `<vns>.<savepointId>`. */
export function savepointObjectName(vns: string, savepointId: string): string {
  assertVns(vns);
  return `${vns}.${savepointId.toLowerCase()}`;
}

/** VVP's resource name of a Namespace: `namespaces/<ns>`. */
export const namespaceResourceName = (vns: string) => `namespaces/${vns}`;

/** The vNamespace of a `namespaces/<ns>` resource name, or undefined if malformed. */
export function parseNamespaceResourceName(name: string): string | undefined {
  const m = /^namespaces\/([^/]+)$/.exec(name);
  return m && isVnsName(m[1]!) ? m[1] : undefined;
}

/** VVP's resource name of an API token: `namespaces/<ns>/apitokens/<token>`. */
export const apiTokenResourceName = (vns: string, token: string) => `namespaces/${vns}/apitokens/${token}`;

/** Why a string is not a valid API token name (its last segment), or undefined if it is. */
export function apiTokenNameProblem(token: string): string | undefined {
  // The name is stored as a label value on the token's Secret (sluice.dev/token-name).
  if (token.length === 0) return 'must not be empty';
  if (!isLabelValue(token))
    return 'must be at most 63 characters: letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  return undefined;
}

/** `{namespace, token}` of a `namespaces/<ns>/apitokens/<token>` name, or undefined if malformed. */
export function parseApiTokenResourceName(name: string): { namespace: string; token: string } | undefined {
  const m = /^namespaces\/([^/]+)\/apitokens\/([^/]+)$/.exec(name);
  if (!m || !isVnsName(m[1]!) || apiTokenNameProblem(m[2]!)) return undefined;
  return { namespace: m[1]!, token: m[2]! };
}
