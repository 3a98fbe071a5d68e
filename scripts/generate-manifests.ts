/**
 * Generates the deployment manifests from the functions' own declarations (their
 * subscriptions and RBAC permissions), so that routing and permissions are declared once
 * in the code:
 *
 *   knative/   Knative Services (scale to zero), ApiServerSources, Broker, Triggers,
 *              PingSource, CRDs, least-privilege RBAC per function, Redis, kustomization
 *   openfaas/  stack.yml for the same image, the event relay Deployment, RBAC, CRDs, Redis
 *
 *   npm run manifests                      # writes knative/ and openfaas/
 *   npm run manifests -- --check           # exits 1 when the committed files are stale
 *   npm run manifests -- --watched-namespaces team-a,team-b --image registry/sluice:1.2.3
 *
 * The files are never edited by hand: test/packaging/manifests.test.ts fails when they
 * differ from what this script generates.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Document, parseAllDocuments } from 'yaml';
import { crdsAsYaml } from '../shared/model/crds.js';
import { kebab } from '../shared/runtime/rbac.js';
import { brokerDocs, knativeService, sourceDocs, triggers } from './manifests/knative.js';
import { type Doc, HEADER, type Obj, YAML_OPTIONS, namespaceDoc, redisDocs } from './manifests/objects.js';
import { relayDocs, stackYml } from './manifests/openfaas.js';
import { unitRbac } from './manifests/rbac.js';
import { DEFAULTS, type GeneratorOptions, ROOT, STREAM_EXTENSION, loadUnits, streamsOf } from './manifests/units.js';

export * from './manifests/units.js';
export { pingSourceAttribute } from './manifests/knative.js';

// ---------------------------------------------------------------------------------------
// Files

function yamlFile(docs: readonly Doc[], title?: string): string {
  const parts = docs.map(({ obj, comment }) => {
    const d = new Document(obj, YAML_OPTIONS);
    if (comment)
      d.commentBefore = comment
        .split('\n')
        .map((l) => ` ${l}`)
        .join('\n');
    return d.toString({ lineWidth: 0 });
  });
  return `# ${HEADER}\n${
    title
      ? `${title
          .split('\n')
          .map((l) => `# ${l}`)
          .join('\n')}\n`
      : ''
  }${parts.join('---\n')}`;
}

function kustomization(resources: string[], comment: string): string {
  const d = new Document({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources }, YAML_OPTIONS);
  d.commentBefore = ` ${HEADER}\n${comment
    .split('\n')
    .map((l) => ` ${l}`)
    .join('\n')}`;
  return d.toString({ lineWidth: 0 });
}

/** The CRDs as YAML documents (shared/model/crds.ts), each under the generated header. */
function crdFile(): string {
  const docs = parseAllDocuments(crdsAsYaml()).map((d) => ({ obj: d.toJSON() as Obj }));
  if (docs.length === 0) throw new Error('shared/model/crds.ts produced no CRDs');
  return yamlFile(docs, "Sluice's custom resources (sluice.dev) and the operator's VvpDeployment (ververica.platform).");
}

/** Every generated file, by path relative to the repository root. */
export async function generate(options: Partial<GeneratorOptions> = {}): Promise<Map<string, string>> {
  const o: GeneratorOptions = { ...DEFAULTS, ...options };
  const units = await loadUnits();
  const streams = streamsOf(units);
  const files = new Map<string, string>();
  const crds = crdFile();

  // Knative
  files.set('knative/namespace.yaml', yamlFile([namespaceDoc(o.platformNamespace)]));
  files.set('knative/crds.yaml', crds);
  files.set('knative/redis.yaml', yamlFile(redisDocs(o.platformNamespace, o.redisImage)));
  files.set('knative/broker.yaml', yamlFile(brokerDocs(o)));
  files.set(
    'knative/sources.yaml',
    yamlFile(
      streams.flatMap((s) => sourceDocs(s, o)),
      "One ApiServerSource per distinct (resource, scope, label selector, mode) of the functions' subscriptions,\n" +
        `each with its own service account, stamping its events with the \`${STREAM_EXTENSION}\` extension.`,
    ),
  );
  const functionFiles: string[] = [];
  for (const unit of units) {
    const path = `functions/${kebab(unit.name)}.yaml`;
    functionFiles.push(path);
    const subs = unit.subscriptions.map(
      (s) => `  ${s.resource.kind} ${s.verbs.join('/')} (${s.scope}${s.labelSelector ? `, ${s.labelSelector}` : ''}, ${s.mode})`,
    );
    files.set(
      `knative/${path}`,
      yamlFile(
        [...unitRbac(unit, o.platformNamespace, o.watchedNamespaces), knativeService(unit, o), ...triggers(unit, streams, o)],
        `${unit.name}: ${unit.description}.\n${subs.length ? `Subscribes to:\n${subs.join('\n')}` : 'No event subscriptions.'}`,
      ),
    );
  }
  files.set(
    'knative/kustomization.yaml',
    kustomization(
      ['namespace.yaml', 'crds.yaml', 'redis.yaml', ...functionFiles, 'broker.yaml', 'sources.yaml'],
      `Installs Sluice on a Knative cluster (Serving and Eventing installed): kubectl apply -k knative/\n` +
        `Platform namespace ${o.platformNamespace}; watched namespaces: ${o.watchedNamespaces.join(', ') || '(none)'}.`,
    ),
  );

  // OpenFaaS
  const ns = o.openfaasNamespace;
  files.set('openfaas/stack.yml', stackYml(units, o));
  files.set('openfaas/crds.yaml', crds);
  files.set('openfaas/redis.yaml', yamlFile(redisDocs(ns, o.redisImage)));
  files.set(
    'openfaas/rbac.yaml',
    yamlFile(
      units.flatMap((u) => unitRbac(u, ns, o.watchedNamespaces)),
      `Each OpenFaaS function's service account (annotation com.openfaas.serviceaccount in stack.yml) and its RBAC.`,
    ),
  );
  files.set('openfaas/event-relay.yaml', yamlFile(relayDocs(units, streams, o)));
  files.set(
    'openfaas/kustomization.yaml',
    kustomization(
      ['crds.yaml', 'rbac.yaml', 'redis.yaml', 'event-relay.yaml'],
      `What the OpenFaaS functions need besides stack.yml: kubectl apply -k openfaas/ (namespace ${ns} exists with OpenFaaS).`,
    ),
  );
  return files;
}

/** Generated directories: a file in them that the generator does not produce is stale. */
export const GENERATED_DIRS = ['knative', 'openfaas'];

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

/** Differences between `files` and what is on disk under `root`: changed, missing, stale. */
export function diffAgainst(files: Map<string, string>, root: string): string[] {
  const problems: string[] = [];
  for (const [path, content] of files) {
    const full = join(root, path);
    if (!existsSync(full)) problems.push(`missing: ${path}`);
    else if (readFileSync(full, 'utf8') !== content) problems.push(`differs: ${path}`);
  }
  for (const dir of GENERATED_DIRS) {
    for (const full of listFiles(join(root, dir))) {
      const path = relative(root, full).split('\\').join('/');
      if (!files.has(path)) problems.push(`stale (not generated): ${path}`);
    }
  }
  return problems;
}

export function writeFiles(files: Map<string, string>, root: string): void {
  for (const dir of GENERATED_DIRS) {
    for (const full of listFiles(join(root, dir))) {
      if (!files.has(relative(root, full).split('\\').join('/'))) rmSync(full);
    }
  }
  for (const [path, content] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      check: { type: 'boolean', default: false },
      out: { type: 'string', default: ROOT },
      'platform-namespace': { type: 'string' },
      'watched-namespaces': { type: 'string' },
      image: { type: 'string' },
      'redis-image': { type: 'string' },
      'openfaas-namespace': { type: 'string' },
      'openfaas-gateway-url': { type: 'string' },
    },
    strict: true,
  });
  const options: Partial<GeneratorOptions> = {
    ...(values['platform-namespace'] ? { platformNamespace: values['platform-namespace'] } : {}),
    ...(values['watched-namespaces'] !== undefined
      ? {
          watchedNamespaces: values['watched-namespaces']
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : {}),
    ...(values.image ? { image: values.image } : {}),
    ...(values['redis-image'] ? { redisImage: values['redis-image'] } : {}),
    ...(values['openfaas-namespace'] ? { openfaasNamespace: values['openfaas-namespace'] } : {}),
    ...(values['openfaas-gateway-url'] ? { openfaasGatewayUrl: values['openfaas-gateway-url'] } : {}),
  };
  const files = await generate(options);
  if (values.check) {
    const problems = diffAgainst(files, values.out);
    if (problems.length) {
      console.error(`Manifests are stale (run npm run manifests):\n  ${problems.join('\n  ')}`);
      process.exit(1);
    }
    console.log(`${files.size} manifest files up to date`);
    return;
  }
  writeFiles(files, values.out);
  console.log(`wrote ${files.size} files under ${GENERATED_DIRS.map((d) => `${d}/`).join(' and ')} in ${values.out}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`generate-manifests failed: ${(err as Error).stack ?? String(err)}`);
      process.exit(1);
    },
  );
}
