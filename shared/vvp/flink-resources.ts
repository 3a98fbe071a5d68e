import type {
  KubernetesObject,
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1Job,
  V1OwnerReference,
  V1PodTemplateSpec,
  V1Service,
} from '@kubernetes/client-node';
import type { Json, JobResource, TemplateSpec } from './crs.js';
import { labelValue } from '../model/naming.js';

/**
 * The Kubernetes objects of one Flink job in application mode, named `job-<jobId>-...`
 * in the target namespace: a ConfigMap `job-<jobId>` (the Flink configuration, and the
 * parent every other object is owned by, so deleting it removes the job), the JobManager
 * as a batch Job with its Service, and the TaskManagers as a Deployment. Pure.
 */

export const FLINK_PORTS = { rpc: 6123, blob: 6124, rest: 8081 } as const;
const USRLIB = '/opt/flink/usrlib';
const CONF_DIR = '/opt/flink/conf';
const DEFAULT_RESOURCES = { jobmanager: { cpu: 1, memory: '1G' }, taskmanager: { cpu: 1, memory: '2G' } };

export const parentName = (jobId: string) => `job-${jobId}`;
export const jobManagerName = (jobId: string) => `job-${jobId}-jobmanager`;
export const taskManagerName = (jobId: string) => `job-${jobId}-taskmanager`;
/** Flink's own 32-hex job id, derived from Sluice's job UUID so the REST API can find the job. */
export const flinkJobId = (jobId: string) => jobId.replace(/-/g, '');

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

export function image(spec: TemplateSpec): string {
  const a = spec.artifact as { flinkImageRegistry?: string; flinkImageRepository?: string; flinkImageTag?: string; flinkVersion?: string };
  const repository = a.flinkImageRepository ?? 'flink';
  const tag = a.flinkImageTag ?? (a.flinkVersion ? `${a.flinkVersion}` : 'latest');
  return `${a.flinkImageRegistry ? `${a.flinkImageRegistry.replace(/\/$/, '')}/` : ''}${repository}:${tag}`;
}

function slots(spec: TemplateSpec): number {
  const configured = Number(spec.flinkConfiguration?.['taskmanager.numberOfTaskSlots']);
  return Number.isInteger(configured) && configured > 0 ? configured : 1;
}

/** TaskManagers to run: as given, else enough slots for the parallelism (VVP's default). */
export function taskManagerCount(spec: TemplateSpec): number {
  return spec.numberOfTaskManagers ?? Math.max(1, Math.ceil((spec.parallelism ?? 1) / slots(spec)));
}

/** The artifact's files, fetched into usrlib by the init container. */
function artifactUris(spec: TemplateSpec): string[] {
  const a = spec.artifact as { jarUri?: string; pythonArtifactUri?: string; additionalDependencies?: string[] };
  return [a.jarUri, a.pythonArtifactUri, ...(a.additionalDependencies ?? [])].filter((u): u is string => !!u);
}

const basename = (uri: string) => uri.replace(/[?#].*$/, '').split('/').filter(Boolean).pop() ?? 'artifact';

/** Splits mainArgs like a shell would for plain words and quoted strings. */
export function splitArgs(mainArgs: string | undefined): string[] {
  if (!mainArgs) return [];
  return [...mainArgs.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/**
 * The JobManager's container arguments for Flink's application mode (`standalone-job`):
 * JAR      --job-classname <entryClass> (omitted: Flink reads the jar manifest) <mainArgs>
 * PYTHON   --job-classname org.apache.flink.client.python.PythonDriver -py <file> | -pym <entryModule> <mainArgs>
 * SQLSCRIPT --job-classname org.apache.flink.table.client.SqlRunner (image must bundle it) with the script at usrlib/script.sql
 * Always --job-id <flink id>; when restoring, --fromSavepoint <path> [--allowNonRestoredState].
 */
export function jobManagerArgs(job: JobResource): string[] {
  const spec = job.spec.spec.template.spec;
  const a = spec.artifact as { kind: string; entryClass?: string; entryModule?: string; mainArgs?: string; pythonArtifactUri?: string };
  const args = ['standalone-job', '--job-id', flinkJobId(job.spec.metadata.id)];
  const restore = job.spec.spec.restore;
  if (restore) {
    args.push('--fromSavepoint', restore.location);
    if (restore.allowNonRestoredState) args.push('--allowNonRestoredState');
  }
  switch (a.kind.toUpperCase()) {
    case 'PYTHON':
      args.push('--job-classname', 'org.apache.flink.client.python.PythonDriver');
      if (a.entryModule) args.push('-pym', a.entryModule);
      else if (a.pythonArtifactUri) args.push('-py', `${USRLIB}/${basename(a.pythonArtifactUri)}`);
      break;
    case 'SQLSCRIPT':
      args.push('--job-classname', 'org.apache.flink.table.client.SqlRunner', `${USRLIB}/script.sql`);
      break;
    default:
      if (a.entryClass) args.push('--job-classname', a.entryClass);
  }
  return [...args, ...splitArgs(a.mainArgs)];
}

export function flinkConfiguration(job: JobResource): Record<string, string> {
  const spec = job.spec.spec.template.spec;
  const res = { ...DEFAULT_RESOURCES, ...spec.resources };
  return {
    'jobmanager.rpc.address': jobManagerName(job.spec.metadata.id),
    'jobmanager.rpc.port': String(FLINK_PORTS.rpc),
    'blob.server.port': String(FLINK_PORTS.blob),
    'rest.port': String(FLINK_PORTS.rest),
    'taskmanager.numberOfTaskSlots': String(slots(spec)),
    'parallelism.default': String(spec.parallelism ?? 1),
    'jobmanager.memory.process.size': `${memoryMiB(res.jobmanager?.memory ?? DEFAULT_RESOURCES.jobmanager.memory)}m`,
    'taskmanager.memory.process.size': `${memoryMiB(res.taskmanager?.memory ?? DEFAULT_RESOURCES.taskmanager.memory)}m`,
    ...(spec.flinkConfiguration ?? {}),
  };
}

const yamlLine = (k: string, v: string) => `${k}: ${JSON.stringify(v)}`;

interface PodSettings {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  tolerations?: Json[];
  affinity?: Json;
  securityContext?: Json;
  serviceAccountName?: string;
  imagePullSecrets?: { name: string }[];
  envVars?: { name: string; value?: string; valueFrom?: Json }[];
  volumeMounts?: { name: string; volume?: Json; volumeMount?: Json }[];
}

/** Overlays a user pod template onto a generated one: maps merge, containers merge by name, lists append. */
export function mergePodTemplate(base: V1PodTemplateSpec, overlay: Json | undefined, protectedLabels: Record<string, string>): V1PodTemplateSpec {
  if (!overlay) return base;
  const o = overlay as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Json };
  const merged = structuredClone(base);
  merged.metadata = {
    ...merged.metadata,
    labels: { ...merged.metadata?.labels, ...o.metadata?.labels, ...protectedLabels },
    annotations: { ...merged.metadata?.annotations, ...o.metadata?.annotations },
  };
  const spec = (merged.spec ?? { containers: [] }) as unknown as Json;
  for (const [key, value] of Object.entries(o.spec ?? {})) {
    if (key === 'containers' || key === 'initContainers') {
      const list = ((spec[key] as V1Container[] | undefined) ?? []).slice();
      for (const c of value as V1Container[]) {
        const i = list.findIndex((x) => x.name === c.name);
        if (i >= 0) list[i] = { ...list[i]!, ...c, env: [...(list[i]!.env ?? []), ...(c.env ?? [])], volumeMounts: [...(list[i]!.volumeMounts ?? []), ...(c.volumeMounts ?? [])] };
        else list.push(c);
      }
      spec[key] = list;
    } else if (Array.isArray(value)) spec[key] = [...((spec[key] as unknown[] | undefined) ?? []), ...value];
    else if (value && typeof value === 'object') spec[key] = { ...(spec[key] as Json | undefined), ...(value as Json) };
    else spec[key] = value;
  }
  merged.spec = spec as unknown as V1PodTemplateSpec['spec'];
  return merged;
}

function podTemplate(job: JobResource, component: 'jobmanager' | 'taskmanager'): V1PodTemplateSpec {
  const id = job.spec.metadata.id;
  const spec = job.spec.spec.template.spec;
  const pods = ((spec.kubernetes as { pods?: PodSettings } | undefined)?.pods ?? {}) as PodSettings;
  const res = { ...DEFAULT_RESOURCES, ...spec.resources }[component] ?? DEFAULT_RESOURCES[component];
  const mem = `${memoryMiB(res.memory ?? DEFAULT_RESOURCES[component].memory)}Mi`;
  const cpu = String(res.cpu ?? DEFAULT_RESOURCES[component].cpu);
  const jobLabels = jobPodLabels(job);
  const uris = artifactUris(spec);
  const fetchScript = uris
    .map((u) => (u.startsWith('file://') ? `cp '${u.slice(7)}' ${USRLIB}/` : `wget -q -O '${USRLIB}/${basename(u)}' '${u}'`))
    .join(' && ');
  const userMounts = (pods.volumeMounts ?? []).map((v) => ({ name: v.name, ...(v.volumeMount ?? {}) }));
  const container: V1Container = {
    name: `flink-${component}`,
    image: image(spec),
    args: component === 'jobmanager' ? jobManagerArgs(job) : ['taskmanager'],
    env: [
      { name: 'FLINK_CONF_DIR', value: CONF_DIR },
      ...(pods.envVars ?? []).map((e) => ({ name: e.name, ...(e.value !== undefined ? { value: e.value } : {}), ...(e.valueFrom ? { valueFrom: e.valueFrom } : {}) })),
    ] as V1Container['env'],
    ports:
      component === 'jobmanager'
        ? [
            { name: 'rpc', containerPort: FLINK_PORTS.rpc },
            { name: 'blob', containerPort: FLINK_PORTS.blob },
            { name: 'rest', containerPort: FLINK_PORTS.rest },
          ]
        : [{ name: 'rpc', containerPort: 6122 }],
    resources: { requests: { cpu, memory: mem }, limits: { cpu, memory: mem } },
    volumeMounts: [
      { name: 'flink-config', mountPath: CONF_DIR },
      { name: 'usrlib', mountPath: USRLIB },
      ...userMounts,
    ] as V1Container['volumeMounts'],
    ...(component === 'jobmanager' ? { readinessProbe: { tcpSocket: { port: FLINK_PORTS.rest }, periodSeconds: 5 } } : {}),
  };
  const base: V1PodTemplateSpec = {
    metadata: {
      labels: { ...pods.labels, ...jobLabels, component },
      annotations: { ...pods.annotations },
    },
    spec: {
      ...(component === 'jobmanager' ? { restartPolicy: 'Never' } : {}),
      ...(pods.serviceAccountName ? { serviceAccountName: pods.serviceAccountName } : {}),
      ...(pods.nodeSelector ? { nodeSelector: pods.nodeSelector } : {}),
      ...(pods.tolerations ? { tolerations: pods.tolerations } : {}),
      ...(pods.affinity ? { affinity: pods.affinity } : {}),
      ...(pods.securityContext ? { securityContext: pods.securityContext } : {}),
      ...(pods.imagePullSecrets ? { imagePullSecrets: pods.imagePullSecrets } : {}),
      initContainers: uris.length
        ? [{ name: 'artifact-fetcher', image: image(spec), command: ['sh', '-c', fetchScript], volumeMounts: [{ name: 'usrlib', mountPath: USRLIB }] }]
        : [],
      containers: [container],
      volumes: [
        { name: 'flink-config', configMap: { name: parentName(id) } },
        { name: 'usrlib', emptyDir: {} },
        ...(pods.volumeMounts ?? []).map((v) => ({ name: v.name, ...(v.volume ?? {}) })),
      ],
    } as V1PodTemplateSpec['spec'],
  };
  const kubernetes = spec.kubernetes as { jobManagerPodTemplate?: Json; taskManagerPodTemplate?: Json } | undefined;
  const overlay = component === 'jobmanager' ? kubernetes?.jobManagerPodTemplate : kubernetes?.taskManagerPodTemplate;
  return mergePodTemplate(base, overlay, { ...jobLabels, component });
}

/** The parent: created first; every other object is owned by it. */
export function parentConfigMap(job: JobResource): V1ConfigMap {
  const conf = flinkConfiguration(job);
  const artifact = job.spec.spec.template.spec.artifact as { kind: string; sqlScript?: string };
  const lines = Object.entries(conf).map(([k, v]) => yamlLine(k, v)).join('\n') + '\n';
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: parentName(job.spec.metadata.id), namespace: job.spec.spec.targetNamespace, labels: jobPodLabels(job) },
    data: {
      'flink-conf.yaml': lines,
      'config.yaml': lines,
      ...(artifact.kind.toUpperCase() === 'SQLSCRIPT' && artifact.sqlScript ? { 'script.sql': artifact.sqlScript } : {}),
    },
  };
}

/** The JobManager (batch Job, no retries: Sluice counts attempts), its Service, the TaskManagers. */
export function childObjects(job: JobResource, parentUid: string): KubernetesObject[] {
  const id = job.spec.metadata.id;
  const namespace = job.spec.spec.targetNamespace;
  const labels = jobPodLabels(job);
  const owner: V1OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: parentName(id), uid: parentUid, controller: true, blockOwnerDeletion: true };
  const meta = (name: string, component: string) => ({ name, namespace, labels: { ...labels, component }, ownerReferences: [owner] });
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(jobManagerName(id), 'jobmanager'),
    spec: {
      selector: { jobId: id, component: 'jobmanager' },
      ports: Object.entries(FLINK_PORTS).map(([name, port]) => ({ name, port, targetPort: port })),
    },
  };
  const jobManager: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(jobManagerName(id), 'jobmanager'),
    spec: { backoffLimit: 0, template: podTemplate(job, 'jobmanager') },
  };
  const taskManagers: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(taskManagerName(id), 'taskmanager'),
    spec: {
      replicas: taskManagerCount(job.spec.spec.template.spec),
      selector: { matchLabels: { jobId: id, component: 'taskmanager' } },
      template: podTemplate(job, 'taskmanager'),
    },
  };
  return [service, jobManager, taskManagers];
}
