import type {
  KubernetesObject,
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1Job,
  V1OwnerReference,
  V1PodTemplateSpec,
  V1Role,
  V1RoleBinding,
  V1Secret,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import type { JobResource, Json, TemplateSpec } from '../model/index.js';
import { labelValue } from '../model/naming.js';
import {
  DEFAULT_FLINK_VERSION,
  configProblems,
  LOG4J_CONSOLE,
  configFileOf,
  flinkVersionOf,
  plugins,
  renderConfig,
  translateConfig,
  wantsKubernetesHa,
} from './flink-config.js';
import { referencedSecretValues, substituteSecretValues } from './secret-values.js';

/**
 * The Kubernetes objects of one Flink job in application mode, named `job-<jobId>-...`
 * in the target namespace: a ConfigMap `job-<jobId>` (the Flink configuration, and the
 * parent every other object is owned by, so deleting it removes the job), the JobManager
 * as a batch Job with its Service, and the TaskManagers as a Deployment; with Flink's
 * Kubernetes HA also a ServiceAccount allowed to edit ConfigMaps. Pure.
 *
 * They follow Flink's standalone-Kubernetes guide for application mode and drive the
 * official image's entrypoint (`standalone-job`, `taskmanager`). The image's FLINK_HOME is
 * /opt/flink (the official image), or /flink for VVP-style images (registry or repository
 * naming ververica/data-artisans); the ConfigMap is mounted at FLINK_HOME/conf, the artifacts
 * fetched into FLINK_HOME/usrlib. A `file://` URI names a file inside the image; one under
 * /flink/ or /opt/flink/ (as VVP's examples write `file:///flink/examples/...`) names a file
 * of the Flink distribution and is read from this image's FLINK_HOME.
 */

/** Flink's ports as the official image configures them; a deployment's flinkConfiguration may change them. */
export const FLINK_PORTS = { rpc: 6123, blob: 6124, rest: 8081, taskmanagerRpc: 6122 } as const;
const PORT_KEYS = {
  rpc: 'jobmanager.rpc.port',
  blob: 'blob.server.port',
  rest: 'rest.port',
  taskmanagerRpc: 'taskmanager.rpc.port',
} as const;
/**
 * How long the JobManager keeps a finished savepoint's result. A JobManager whose job stopped
 * exits once that result was read, or after this long: far more than Sluice's longest gap
 * between polls (redelivery backoff, the 5-minute resync), so the location cannot be missed.
 */
export const ASYNC_STORE_DURATION = '24 h';
const DEFAULT_RESOURCES = { jobmanager: { cpu: 1, memory: '1G' }, taskmanager: { cpu: 1, memory: '2G' } };

export const parentName = (jobId: string) => `job-${jobId}`;
/** The Secret holding the Flink configuration of a job that references secret values. */
export const configSecretName = (jobId: string) => `job-${jobId}-flink-config`;
/** The secret values a job's configuration references (`${secret_values.<name>}`). */
export const jobSecretValues = (job: JobResource): string[] => referencedSecretValues(job.spec.spec.template.spec.flinkConfiguration);
export const jobManagerName = (jobId: string) => `job-${jobId}-jobmanager`;
export const taskManagerName = (jobId: string) => `job-${jobId}-taskmanager`;
/** Flink's own 32-hex job id, derived from Sluice's job UUID so the REST API can find the job. */
export const flinkJobId = (jobId: string) => jobId.replace(/-/g, '');

/** The label selector of every job pod Sluice runs (VVP's labels). */
export const JOB_PODS_SELECTOR = 'app=flink-job,system=ververica-platform';
/** The label selector of one job's pods. */
export const jobPodsSelector = (jobId: string) => `${JOB_PODS_SELECTOR},jobId=${jobId}`;

/** VVP's job pod labels, exactly. */
export function jobPodLabels(job: JobResource): Record<string, string> {
  return {
    app: 'flink-job',
    system: 'ververica-platform',
    vvpNamespace: job.spec.metadata.namespace,
    deploymentId: job.spec.spec.deploymentId,
    deploymentName: labelValue(job.spec.spec.deploymentName),
    jobId: job.spec.metadata.id,
  };
}

/** Flink memory sizes ("1G", "1024m", "1.5g", "2Gi") in MiB; Flink's units are binary. */
export function memoryMiB(size: string): number {
  const m = size.trim().match(/^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?|b?)$/i);
  if (!m) throw new Error(`invalid memory size '${size}': use a number with k, m, g or t (e.g. 1G, 1536m)`);
  const factor = { '': 1 / (1024 * 1024), k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.max(1, Math.round(Number(m[1]) * factor));
}

/** The image: registry/repository:tag; the official `flink` image of the job's Flink version by default (never `latest`). */
export function image(spec: TemplateSpec): string {
  const a = spec.artifact;
  const repository = a.flinkImageRepository ?? 'flink';
  const tag = a.flinkImageTag ?? a.flinkVersion ?? DEFAULT_FLINK_VERSION;
  return `${a.flinkImageRegistry ? `${a.flinkImageRegistry.replace(/\/$/, '')}/` : ''}${repository}:${tag}`;
}

/** FLINK_HOME inside the image: /flink in VVP-style images, /opt/flink in the official one. */
export function flinkHome(spec: TemplateSpec): string {
  const a = spec.artifact;
  return /ververica|data-artisans/i.test(`${a.flinkImageRegistry ?? ''}/${a.flinkImageRepository ?? ''}`) ? '/flink' : '/opt/flink';
}

const paths = (spec: TemplateSpec) => {
  const home = flinkHome(spec);
  return { home, conf: `${home}/conf`, usrlib: `${home}/usrlib` };
};

/** A `file://` URI's path in this image: the Flink distribution's files (/flink/..., /opt/flink/...) under its FLINK_HOME. */
export function imagePath(uri: string, home: string): string {
  const path = decodeURI(uri.replace(/^file:\/\//, ''));
  const m = path.match(/^\/(?:opt\/)?flink(\/.*)$/);
  return m ? `${home}${m[1]}` : path;
}

/** A port of the JobManager or TaskManager: as configured, else the official image's. */
export function flinkPort(spec: TemplateSpec, which: keyof typeof FLINK_PORTS): number {
  const configured = spec.flinkConfiguration?.[PORT_KEYS[which]];
  return configured !== undefined && /^\d+$/.test(configured.trim()) ? Number(configured) : FLINK_PORTS[which];
}

function slots(spec: TemplateSpec): number {
  const configured = Number(spec.flinkConfiguration?.['taskmanager.numberOfTaskSlots']);
  return Number.isInteger(configured) && configured > 0 ? configured : 1;
}

/** TaskManagers to run: as given, else enough slots for the parallelism (VVP's default). */
export function taskManagerCount(spec: TemplateSpec): number {
  return spec.numberOfTaskManagers ?? Math.max(1, Math.ceil((spec.parallelism ?? 1) / slots(spec)));
}

/** The artifact's files, fetched into usrlib by the init container (http(s) or file URIs; validation refuses others). */
export function artifactUris(spec: TemplateSpec): string[] {
  const a = spec.artifact;
  return [a.jarUri, a.pythonArtifactUri, ...(a.additionalDependencies ?? [])].filter((u): u is string => !!u);
}

const basename = (uri: string) =>
  uri
    .replace(/[?#].*$/, '')
    .split('/')
    .filter(Boolean)
    .pop() ?? 'artifact';

/** Splits mainArgs like a shell would for plain words and quoted strings. */
export function splitArgs(mainArgs: string | undefined): string[] {
  if (!mainArgs) return [];
  return [...mainArgs.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/**
 * Why a Deployment's template cannot run as Flink reads it, each a sentence naming the field;
 * [] if it can. `restoreKind` LATEST_STATE runs the job with Flink's Kubernetes HA.
 */
export function templateProblems(spec: TemplateSpec, restoreKind?: string): string[] {
  const version = flinkVersionOf(spec.artifact);
  const conf = spec.flinkConfiguration ?? {};
  const problems = configProblems(conf, version, { latestState: restoreKind === 'LATEST_STATE' });
  const a = spec.artifact;
  const fields: [string, string | undefined][] = [
    ['jarUri', a.jarUri],
    ['pythonArtifactUri', a.pythonArtifactUri],
    ...(a.additionalDependencies ?? []).map((u, i): [string, string] => [`additionalDependencies[${i}]`, u]),
  ];
  for (const [field, uri] of fields) {
    if (uri !== undefined && !/^(https?:\/\/[^\s/]+\/\S*[^/\s]|file:\/\/\/\S*[^/\s])$/.test(uri)) {
      problems.push(
        `artifact.${field}: '${uri}' cannot be fetched: Sluice fetches http(s):// URLs and file:/// paths inside the Flink image, naming a file`,
      );
    }
  }
  for (const [which, key] of Object.entries(PORT_KEYS)) {
    const value = conf[key];
    if (value !== undefined && !(/^\d+$/.test(value.trim()) && Number(value) > 0 && Number(value) < 65536)) {
      problems.push(`flinkConfiguration.${key}: '${value}' must be one port (1-65535): Sluice publishes it as the ${which} container port`);
    }
  }
  try {
    log4jConsole(spec);
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}

/** Whether the job runs with Flink's Kubernetes HA (VVP's `vvp-kubernetes` or Flink's own setting). */
export const highAvailability = (job: JobResource) => wantsKubernetesHa(job.spec.spec.template.spec.flinkConfiguration ?? {});

/**
 * The JobManager's container arguments for Flink's application mode (`standalone-job`):
 * JAR       --job-classname <entryClass> (omitted: Flink reads the jar manifest) <mainArgs>
 * PYTHON    --job-classname org.apache.flink.client.python.PythonDriver -py <file> | -pym <entryModule> <mainArgs>
 * SQLSCRIPT --job-classname org.apache.flink.table.runtime.application.SqlDriver --scriptUri file://<conf>/script.sql
 *           (Flink ≥ 1.20's driver for SQL scripts in application mode, in flink-table-runtime; it
 *           loads the SQL gateway from FLINK_HOME/opt, which the official image has)
 * Always --job-id <flink id>; with HA --host $(POD_IP) (Flink's guide: the JobManager announces
 * its pod IP, TaskManagers find it through the HA ConfigMaps); when restoring,
 * --fromSavepoint <path> [--allowNonRestoredState].
 */
export function jobManagerArgs(job: JobResource): string[] {
  const spec = job.spec.spec.template.spec;
  const { conf, usrlib } = paths(spec);
  const a = spec.artifact;
  const args = ['standalone-job', ...(highAvailability(job) ? ['--host', '$(POD_IP)'] : []), '--job-id', flinkJobId(job.spec.metadata.id)];
  const restore = job.spec.spec.restore;
  if (restore) {
    args.push('--fromSavepoint', restore.location);
    if (restore.allowNonRestoredState) args.push('--allowNonRestoredState');
  }
  switch (a.kind.toUpperCase()) {
    case 'PYTHON':
      args.push('--job-classname', 'org.apache.flink.client.python.PythonDriver');
      if (a.entryModule) args.push('-pym', a.entryModule);
      else if (a.pythonArtifactUri) args.push('-py', `${usrlib}/${basename(a.pythonArtifactUri)}`);
      break;
    case 'SQLSCRIPT':
      args.push('--job-classname', 'org.apache.flink.table.runtime.application.SqlDriver', '--scriptUri', `file://${conf}/script.sql`);
      break;
    default:
      if (a.entryClass) args.push('--job-classname', a.entryClass);
  }
  return [...args, ...splitArgs(a.mainArgs)];
}

/**
 * The job's Flink configuration as Flink reads it: Sluice's settings (addresses, ports as in
 * Flink's guide, sizes from spec.resources), the deployment's flinkConfiguration over them
 * (VVP-only settings translated, see flink-config.ts), then the settings Sluice owns.
 */
export function flinkConfiguration(job: JobResource): Record<string, string> {
  const spec = job.spec.spec.template.spec;
  const id = job.spec.metadata.id;
  const version = flinkVersionOf(spec.artifact);
  const res = { ...DEFAULT_RESOURCES, ...spec.resources };
  const base: Record<string, string> = {
    'jobmanager.rpc.port': String(FLINK_PORTS.rpc),
    'blob.server.port': String(FLINK_PORTS.blob),
    'rest.port': String(FLINK_PORTS.rest),
    'taskmanager.rpc.port': String(FLINK_PORTS.taskmanagerRpc),
    // What the official image's own conf has; the mounted ConfigMap replaces it.
    'jobmanager.bind-host': '0.0.0.0',
    'taskmanager.bind-host': '0.0.0.0',
    'rest.bind-address': '0.0.0.0',
    'taskmanager.numberOfTaskSlots': String(slots(spec)),
    'parallelism.default': String(spec.parallelism ?? 1),
    'jobmanager.memory.process.size': `${memoryMiB(res.jobmanager?.memory ?? DEFAULT_RESOURCES.jobmanager.memory)}m`,
    'taskmanager.memory.process.size': `${memoryMiB(res.taskmanager?.memory ?? DEFAULT_RESOURCES.taskmanager.memory)}m`,
    // The JobManager stays up once the job ended (Flink ≥ 1.15), so that Sluice reads Flink's
    // final word (FAILED with its exception, CANCELED, FINISHED) before it removes the cluster.
    ...(version.major > 1 || version.minor >= 15 ? { 'execution.shutdown-on-application-finish': 'false' } : {}),
    ...(spec.flinkConfiguration ?? {}),
  };
  return {
    ...translateConfig(base, version, highAvailability(job) ? { clusterId: haClusterId(id) } : undefined),
    'jobmanager.rpc.address': jobManagerName(id),
    'rest.async.store-duration': ASYNC_STORE_DURATION,
  };
}

/** Flink's Kubernetes HA cluster id: its ConfigMaps are named `<cluster-id>-...` in the target namespace. */
export const haClusterId = (jobId: string) => `job-${jobId}`;
/** The service account of a job's pods when it runs with Kubernetes HA. */
export const haServiceAccountName = (jobId: string) => `job-${jobId}-flink`;

/** log4j-console.properties: console logging, plus spec.logging.log4jLoggers (VVP: logger name → level, "" the root). */
export function log4jConsole(spec: TemplateSpec): string {
  const loggers = spec.logging?.log4jLoggers ?? {};
  const lines = Object.entries(loggers).flatMap(([name, level], i) => {
    if (!/^[A-Za-z]+$/.test(level) || !/^[\w.$-]*$/.test(name))
      throw new Error(`logging.log4jLoggers: '${name}: ${level}' is not a logger name and level`);
    return name === '' ? [`rootLogger.level = ${level}`] : [`logger.sluice${i}.name = ${name}`, `logger.sluice${i}.level = ${level}`];
  });
  return lines.length ? `${LOG4J_CONSOLE}${lines.join('\n')}\n` : LOG4J_CONSOLE;
}

/** Overlays a user pod template onto a generated one: maps merge, containers merge by name, lists append. */
export function mergePodTemplate(
  base: V1PodTemplateSpec,
  overlay: Json | undefined,
  protectedLabels: Record<string, string>,
): V1PodTemplateSpec {
  if (!overlay) return base;
  const o = overlay as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Json };
  const merged = structuredClone(base);
  merged.metadata = {
    ...merged.metadata,
    labels: { ...merged.metadata?.labels, ...o.metadata?.labels, ...protectedLabels },
    annotations: { ...merged.metadata?.annotations, ...o.metadata?.annotations },
  };
  const spec: Json = { ...(merged.spec ?? { containers: [] }) };
  for (const [key, value] of Object.entries(o.spec ?? {})) {
    if (key === 'containers' || key === 'initContainers') {
      const list = ((spec[key] as V1Container[] | undefined) ?? []).slice();
      for (const c of value as V1Container[]) {
        const i = list.findIndex((x) => x.name === c.name);
        if (i >= 0)
          list[i] = {
            ...list[i]!,
            ...c,
            env: [...(list[i]!.env ?? []), ...(c.env ?? [])],
            volumeMounts: [...(list[i]!.volumeMounts ?? []), ...(c.volumeMounts ?? [])],
          };
        else list.push(c);
      }
      spec[key] = list;
    } else if (Array.isArray(value)) spec[key] = [...((spec[key] as unknown[] | undefined) ?? []), ...value];
    else if (value && typeof value === 'object') spec[key] = { ...(spec[key] as Json | undefined), ...(value as Json) };
    else spec[key] = value;
  }
  // The merge walks the spec as JSON, key by key; what it built is a pod spec again.
  merged.spec = spec as unknown as V1PodTemplateSpec['spec'];
  return merged;
}

/** A word for `sh -c`, single-quoted. */
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The filesystem plugins the configured paths need (s3://, gs://, abfs://, ...), for the
 * official image, which ships them in FLINK_HOME/opt: named in ENABLE_BUILT_IN_PLUGINS when
 * the full Flink version is known (the entrypoint links them), else copied by the init
 * container into FLINK_HOME/plugins/<name> (an emptyDir), whatever their version.
 * VVP-style images bring their filesystems.
 */
function pluginSetup(spec: TemplateSpec): { env?: string; copied: string[] } {
  if (flinkHome(spec) !== '/opt/flink') return { copied: [] };
  const needed = plugins(spec.flinkConfiguration ?? {}, flinkVersionOf(spec.artifact));
  return needed.jars.length ? { env: needed.jars.join(';'), copied: [] } : { copied: needed.names };
}
const PLUGIN_STAGING = '/sluice-plugins';

/** The init container's script: each artifact into usrlib (file:// copied from the image, http(s) downloaded), then plugins to copy. */
export function fetchScript(spec: TemplateSpec): string {
  const { home, usrlib } = paths(spec);
  return [
    ...artifactUris(spec).map((u) =>
      u.startsWith('file://')
        ? `cp ${shellQuote(imagePath(u, home))} ${shellQuote(`${usrlib}/`)}`
        : `wget -q -O ${shellQuote(`${usrlib}/${basename(u)}`)} ${shellQuote(u)}`,
    ),
    ...pluginSetup(spec).copied.map((name) => `cp ${home}/opt/${name}-*.jar ${PLUGIN_STAGING}/${name}/`),
  ].join(' && ');
}

function podTemplate(job: JobResource, component: 'jobmanager' | 'taskmanager'): V1PodTemplateSpec {
  const id = job.spec.metadata.id;
  const spec = job.spec.spec.template.spec;
  const { conf, usrlib } = paths(spec);
  const pods = spec.kubernetes?.pods ?? {};
  const res = { ...DEFAULT_RESOURCES, ...spec.resources }[component] ?? DEFAULT_RESOURCES[component];
  const mem = `${memoryMiB(res.memory ?? DEFAULT_RESOURCES[component].memory)}Mi`;
  const cpu = String(res.cpu ?? DEFAULT_RESOURCES[component].cpu);
  const jobLabels = jobPodLabels(job);
  const script = fetchScript(spec);
  const ha = highAvailability(job);
  const plugin = pluginSetup(spec);
  const pluginVolume = (name: string) => `plugin-${name.replace(/^flink-/, '')}`;
  const userMounts = (pods.volumeMounts ?? []).map((v) => ({ name: v.name, ...(v.volumeMount ?? {}) }));
  const port = (which: keyof typeof FLINK_PORTS) => flinkPort(spec, which);
  const container: V1Container = {
    name: `flink-${component}`,
    image: image(spec),
    args: component === 'jobmanager' ? jobManagerArgs(job) : ['taskmanager'],
    env: [
      { name: 'FLINK_CONF_DIR', value: conf },
      // The entrypoint writes this into the conf when it can (a writable conf dir); the default would be the pod's hostname.
      { name: 'JOB_MANAGER_RPC_ADDRESS', value: jobManagerName(id) },
      ...(ha ? [{ name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } }] : []),
      ...(plugin.env ? [{ name: 'ENABLE_BUILT_IN_PLUGINS', value: plugin.env }] : []),
      ...(pods.envVars ?? []).map((e) => ({
        name: e.name,
        ...(e.value !== undefined ? { value: e.value } : {}),
        ...(e.valueFrom ? { valueFrom: e.valueFrom } : {}),
      })),
    ] as V1Container['env'],
    ports:
      component === 'jobmanager'
        ? [
            { name: 'rpc', containerPort: port('rpc') },
            { name: 'blob', containerPort: port('blob') },
            { name: 'rest', containerPort: port('rest') },
          ]
        : [{ name: 'rpc', containerPort: port('taskmanagerRpc') }],
    resources: { requests: { cpu, memory: mem }, limits: { cpu, memory: mem } },
    volumeMounts: [
      { name: 'flink-config', mountPath: conf },
      { name: 'usrlib', mountPath: usrlib },
      ...plugin.copied.map((name) => ({
        name: pluginVolume(name),
        mountPath: `${flinkHome(spec)}/plugins/${name.replace(/^flink-/, '')}`,
      })),
      ...userMounts,
    ] as V1Container['volumeMounts'],
    // Ready once the REST API answers (JobManager) or the RPC port listens (TaskManager, as Flink's guide probes it).
    readinessProbe: { tcpSocket: { port: component === 'jobmanager' ? port('rest') : port('taskmanagerRpc') }, periodSeconds: 5 },
    // A JobManager that fails leaves its last log lines as the reason (the job's failure cause).
    ...(component === 'jobmanager' ? { terminationMessagePolicy: 'FallbackToLogsOnError' } : {}),
  };
  const base: V1PodTemplateSpec = {
    metadata: {
      labels: { ...pods.labels, ...jobLabels, component },
      annotations: { ...pods.annotations },
    },
    spec: {
      // Flink's guide: the JobManager Job restarts a failed container in place.
      ...(component === 'jobmanager' ? { restartPolicy: 'OnFailure' } : {}),
      ...(pods.serviceAccountName
        ? { serviceAccountName: pods.serviceAccountName }
        : ha
          ? { serviceAccountName: haServiceAccountName(id) }
          : {}),
      ...(pods.nodeSelector ? { nodeSelector: pods.nodeSelector } : {}),
      ...(pods.tolerations ? { tolerations: pods.tolerations } : {}),
      ...(pods.affinity ? { affinity: pods.affinity } : {}),
      ...(pods.securityContext ? { securityContext: pods.securityContext } : {}),
      ...(pods.imagePullSecrets ? { imagePullSecrets: pods.imagePullSecrets } : {}),
      initContainers: script
        ? [
            {
              name: 'artifact-fetcher',
              image: image(spec),
              command: ['sh', '-c', script],
              volumeMounts: [
                { name: 'usrlib', mountPath: usrlib },
                ...plugin.copied.map((name) => ({ name: pluginVolume(name), mountPath: `${PLUGIN_STAGING}/${name}` })),
              ],
            },
          ]
        : [],
      containers: [container],
      volumes: [
        // With secret values, the configuration file comes from the job's Secret, the rest from the ConfigMap.
        jobSecretValues(job).length > 0
          ? {
              name: 'flink-config',
              projected: { sources: [{ configMap: { name: parentName(id) } }, { secret: { name: configSecretName(id) } }] },
            }
          : { name: 'flink-config', configMap: { name: parentName(id) } },
        { name: 'usrlib', emptyDir: {} },
        ...plugin.copied.map((name) => ({ name: pluginVolume(name), emptyDir: {} })),
        ...(pods.volumeMounts ?? []).map((v) => ({ name: v.name, ...(v.volume ?? {}) })),
      ],
    } as V1PodTemplateSpec['spec'],
  };
  const overlay = component === 'jobmanager' ? spec.kubernetes?.jobManagerPodTemplate : spec.kubernetes?.taskManagerPodTemplate;
  return mergePodTemplate(base, overlay, { ...jobLabels, component });
}

/**
 * The parent: created first; every other object is owned by it. Holds the Flink configuration
 * in the file the job's Flink version reads (flink-conf.yaml for 1.x, config.yaml for 2.x),
 * log4j-console.properties, and a SQLSCRIPT's script.
 */
export function parentConfigMap(job: JobResource): V1ConfigMap {
  const spec = job.spec.spec.template.spec;
  const file = configFileOf(flinkVersionOf(spec.artifact));
  const artifact = spec.artifact;
  const secret = jobSecretValues(job).length > 0;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: parentName(job.spec.metadata.id), namespace: job.spec.spec.targetNamespace, labels: jobPodLabels(job) },
    data: {
      // A configuration with secret values is in the job's Secret (configSecret) instead.
      ...(secret ? {} : { [file]: renderConfig(flinkConfiguration(job), file) }),
      'log4j-console.properties': log4jConsole(spec),
      ...(artifact.kind.toUpperCase() === 'SQLSCRIPT' && artifact.sqlScript ? { 'script.sql': artifact.sqlScript } : {}),
    },
  };
}

/**
 * The Flink configuration file of a job that references secret values, the values put in:
 * a Secret owned by the parent ConfigMap (deleted with the job), so the values are in no
 * plain object. Throws (naming the key, never the value) when a value cannot be written
 * into the file, or one referenced is missing.
 */
export function configSecret(job: JobResource, values: Readonly<Record<string, string>>, parentUid: string): V1Secret {
  const missing = jobSecretValues(job).filter((name) => values[name] === undefined);
  if (missing.length > 0)
    throw new Error(
      `secret value${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found in namespace ${job.spec.metadata.namespace}`,
    );
  const spec = job.spec.spec.template.spec;
  const file = configFileOf(flinkVersionOf(spec.artifact));
  const conf = flinkConfiguration(job);
  const filled = substituteSecretValues(conf, values);
  let text: string;
  try {
    text = renderConfig(filled, file);
  } catch {
    // renderConfig's message would quote the value: name only the keys.
    const keys = Object.keys(conf).filter((k) => conf[k] !== filled[k]);
    throw new Error(
      `a secret value used in flinkConfiguration ${keys.join(', ')} cannot be written to Flink's ${file} (a line break, or for Flink 1.x a '#' or surrounding spaces)`,
    );
  }
  const id = job.spec.metadata.id;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: configSecretName(id),
      namespace: job.spec.spec.targetNamespace,
      labels: jobPodLabels(job),
      ownerReferences: [parentOwnerReference(id, parentUid)],
    },
    type: 'Opaque',
    data: { [file]: Buffer.from(text, 'utf8').toString('base64') },
  };
}

/** Flink's Kubernetes HA edits ConfigMaps (leader election, job graph and checkpoint pointers) in the job's namespace. */
function haObjects(job: JobResource, meta: (name: string) => V1Role['metadata']): KubernetesObject[] {
  const name = haServiceAccountName(job.spec.metadata.id);
  const account: V1ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name) };
  const role: V1Role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta(name),
    rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: HA_CONFIGMAP_VERBS }],
  };
  const binding: V1RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace: job.spec.spec.targetNamespace }],
  };
  return [account, role, binding];
}

/** Every object of a job is owned by its parent ConfigMap: deleting that deletes them all. */
const parentOwnerReference = (jobId: string, parentUid: string): V1OwnerReference => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  name: parentName(jobId),
  uid: parentUid,
  controller: true,
  blockOwnerDeletion: true,
});

/** What Flink's Kubernetes HA does with ConfigMaps; deploymentStep holds the same rights so it may grant them. */
export const HA_CONFIGMAP_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/**
 * The JobManager (a batch Job restarting a failed container in place, as in Flink's guide;
 * Sluice still reports the first failure and counts attempts itself), its Service, the
 * TaskManagers; with HA first the service account they run as.
 */
export function childObjects(job: JobResource, parentUid: string): KubernetesObject[] {
  const id = job.spec.metadata.id;
  const spec = job.spec.spec.template.spec;
  const namespace = job.spec.spec.targetNamespace;
  const labels = jobPodLabels(job);
  const owner = parentOwnerReference(id, parentUid);
  const meta = (name: string, component: string) => ({ name, namespace, labels: { ...labels, component }, ownerReferences: [owner] });
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(jobManagerName(id), 'jobmanager'),
    spec: {
      selector: { jobId: id, component: 'jobmanager' },
      ports: (['rpc', 'blob', 'rest'] as const).map((name) => ({ name, port: flinkPort(spec, name), targetPort: flinkPort(spec, name) })),
    },
  };
  const jobManager: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(jobManagerName(id), 'jobmanager'),
    spec: { template: podTemplate(job, 'jobmanager') },
  };
  const taskManagers: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(taskManagerName(id), 'taskmanager'),
    spec: {
      replicas: taskManagerCount(spec),
      selector: { matchLabels: { jobId: id, component: 'taskmanager' } },
      template: podTemplate(job, 'taskmanager'),
    },
  };
  const ha = highAvailability(job) ? haObjects(job, (name) => meta(name, 'flink')) : [];
  return [...ha, service, jobManager, taskManagers];
}
