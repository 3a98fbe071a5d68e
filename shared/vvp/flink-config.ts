/**
 * The Flink configuration Sluice writes for a job, per Flink version. Pure.
 *
 * - Flink 1.x reads `flink-conf.yaml` with its own flat parser: one `key: value` per line,
 *   split at the first `": "`, everything after a `#` dropped, quotes kept as part of the
 *   value. So values are written unquoted, and values this parser would change are refused.
 * - Flink 2.x reads only `config.yaml`, standard YAML (flattened keys are allowed). Values are
 *   written as plain YAML scalars when that reads back as the same text, else double-quoted.
 *
 * Which one a job gets is decided by its Flink version: `artifact.flinkVersion`, else the
 * image tag's leading `major.minor`, else DEFAULT_FLINK_VERSION.
 *
 * VVP-only settings are translated or refused, never passed through: VVP's
 * `high-availability: vvp-kubernetes` becomes Flink's own Kubernetes HA.
 */

/** The Flink version of a job that names none (no flinkVersion, no versioned image tag). */
export const DEFAULT_FLINK_VERSION = '1.20';

export interface FlinkVersion {
  major: number;
  minor: number;
  /** The full version (e.g. 1.20.3) when the spec names one; the plugin jars are named by it. */
  patch?: string;
  text: string;
}

interface ArtifactVersionFields {
  flinkVersion?: string;
  flinkImageTag?: string;
}

/** The job's Flink version: flinkVersion, else the image tag's `x.y[.z]` prefix, else the default. */
export function flinkVersionOf(artifact: ArtifactVersionFields): FlinkVersion {
  for (const source of [artifact.flinkVersion, artifact.flinkImageTag, DEFAULT_FLINK_VERSION]) {
    const m = source?.match(/^v?(\d+)\.(\d+)(?:\.(\d+))?/);
    if (m) {
      const patch = m[3] !== undefined ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
      return { major: Number(m[1]), minor: Number(m[2]), ...(patch ? { patch } : {}), text: `${m[1]}.${m[2]}` };
    }
  }
  throw new Error('unreachable: the default Flink version is well-formed');
}

export type ConfigFile = 'flink-conf.yaml' | 'config.yaml';
export const configFileOf = (v: FlinkVersion): ConfigFile => (v.major >= 2 ? 'config.yaml' : 'flink-conf.yaml');

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Why `key: value` cannot be written so that Flink reads back exactly this value; undefined if it can. */
export function entryProblem(key: string, value: string, file: ConfigFile): string | undefined {
  if (!KEY.test(key)) return `flinkConfiguration key '${key}' is not a Flink option name (letters, digits, '.', '-', '_')`;
  const at = `flinkConfiguration.${key}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) return `${at}: the value must be one line without control characters`;
  if (value.trim() === '') return `${at}: the value must not be empty`;
  if (file === 'flink-conf.yaml') {
    if (value !== value.trim()) return `${at}: Flink 1.x's flink-conf.yaml drops leading and trailing spaces; remove them`;
    if (value.includes('#')) return `${at}: Flink 1.x's flink-conf.yaml cuts a value at '#'`;
  }
  return undefined;
}

/** A YAML 1.2 plain scalar that reads back as this exact string, or a double-quoted one. */
function yamlScalar(value: string): string {
  const plain = /^[A-Za-z0-9_./][A-Za-z0-9_./:@%+=, -]*$/.test(value) && !/(: | #|[ ,]$)/.test(value);
  const typed = /^(true|false|null|~|[-+]?(\d[\d_]*)?\.?\d+([eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|\.inf|\.nan)$/i.test(value);
  // A number or boolean is fine unquoted: Flink converts it back to the option's type.
  return plain || typed ? value : JSON.stringify(value);
}

/** The configuration file's text; throws on an entry entryProblem() refuses. */
export function renderConfig(conf: Record<string, string>, file: ConfigFile): string {
  const lines = Object.entries(conf).map(([k, v]) => {
    const problem = entryProblem(k, v, file);
    if (problem) throw new Error(problem);
    return `${k}: ${file === 'config.yaml' ? yamlScalar(v) : v}`;
  });
  return `${lines.join('\n')}\n`;
}

/** Keys Sluice sets itself for every job; a deployment may not set them. */
export const SLUICE_OWNED_KEYS = ['jobmanager.rpc.address', 'kubernetes.cluster-id', 'high-availability.cluster-id'] as const;

/** VVP settings with no Flink meaning of the same name. */
const VVP_HA = 'vvp-kubernetes';
const HA_KEYS = ['high-availability', 'high-availability.type'] as const;

/**
 * Flink's own JVM options of its distribution's default configuration (`env.java.opts.all`):
 * the module exports/opens Flink needs on Java 17+. A ConfigMap mounted as the conf dir
 * replaces that default file, so Sluice writes them itself, before the user's own options.
 */
export function defaultJvmOptions(v: FlinkVersion): string {
  const exports = [
    ...(v.major < 2 ? ['java.base/sun.net.util'] : []),
    'java.rmi/sun.rmi.registry',
    'jdk.compiler/com.sun.tools.javac.api',
    'jdk.compiler/com.sun.tools.javac.file',
    'jdk.compiler/com.sun.tools.javac.parser',
    'jdk.compiler/com.sun.tools.javac.tree',
    'jdk.compiler/com.sun.tools.javac.util',
    'java.security.jgss/sun.security.krb5',
  ];
  const opens = [
    'java.lang',
    'java.net',
    'java.io',
    'java.nio',
    'sun.nio.ch',
    'java.lang.reflect',
    'java.text',
    'java.time',
    'java.util',
    'java.util.concurrent',
    'java.util.concurrent.atomic',
    'java.util.concurrent.locks',
  ];
  return [...exports.map((e) => `--add-exports=${e}=ALL-UNNAMED`), ...opens.map((o) => `--add-opens=java.base/${o}=ALL-UNNAMED`)].join(' ');
}

/** The directories a job's state goes to, in the order the HA storage is derived from them. */
const STATE_DIR_KEYS = [
  'high-availability.storageDir',
  'state.checkpoints.dir',
  'execution.checkpointing.dir',
  'state.savepoints.dir',
  'execution.checkpointing.savepoint-dir',
] as const;

/** Whether the configuration asks for HA (VVP's or Flink's Kubernetes HA). */
export function wantsKubernetesHa(conf: Record<string, string>): boolean {
  return HA_KEYS.some((k) => {
    const v = conf[k]?.trim();
    return v === VVP_HA || v === 'kubernetes' || v === 'org.apache.flink.kubernetes.highavailability.KubernetesHaServicesFactory';
  });
}

/** Where Flink's Kubernetes HA keeps its metadata: as configured, else beside the checkpoints or savepoints. */
export function haStorageDir(conf: Record<string, string>): string | undefined {
  const explicit = conf['high-availability.storageDir']?.trim();
  if (explicit) return explicit;
  const dir = STATE_DIR_KEYS.slice(1)
    .map((k) => conf[k]?.trim())
    .find((d) => !!d);
  return dir ? `${dir.replace(/\/+$/, '')}/ha` : undefined;
}

/** The problems of a deployment's Flink configuration, each a sentence naming the key; [] if none. */
export function configProblems(conf: Record<string, string> | undefined, v: FlinkVersion, opts: { latestState?: boolean } = {}): string[] {
  const c = conf ?? {};
  const file = configFileOf(v);
  const problems = Object.entries(c)
    .map(([k, value]) => entryProblem(k, value, file))
    .filter((p): p is string => !!p);
  for (const key of SLUICE_OWNED_KEYS) {
    if (c[key] !== undefined) problems.push(`flinkConfiguration.${key}: set by Sluice for every job; remove it`);
  }
  if ((wantsKubernetesHa(c) || opts.latestState) && !haStorageDir(c)) {
    problems.push(
      `flinkConfiguration: ${opts.latestState && !wantsKubernetesHa(c) ? 'restoreStrategy LATEST_STATE runs the job with' : `high-availability: ${c['high-availability'] ?? c['high-availability.type']} means`} Flink's Kubernetes HA, which needs high-availability.storageDir (or state.checkpoints.dir / state.savepoints.dir to keep it beside)`,
    );
  }
  for (const [k, value] of Object.entries(c)) {
    if (k.startsWith('high-availability.vvp-kubernetes.'))
      problems.push(`flinkConfiguration.${k}: a VVP-only setting Flink does not know; remove it`);
    if (HA_KEYS.includes(k as (typeof HA_KEYS)[number]) && /vvp/i.test(value) && value.trim() !== VVP_HA) {
      problems.push(`flinkConfiguration.${k}: '${value}' is not a high-availability mode Sluice can run; use ${VVP_HA} or kubernetes`);
    }
  }
  return problems;
}

/** The filesystem plugins of the official image (FLINK_HOME/opt), by URI scheme. */
const PLUGIN_BY_SCHEME: Record<string, string> = {
  s3: 'flink-s3-fs-hadoop',
  s3a: 'flink-s3-fs-hadoop',
  s3p: 'flink-s3-fs-presto',
  gs: 'flink-gs-fs-hadoop',
  abfs: 'flink-azure-fs-hadoop',
  abfss: 'flink-azure-fs-hadoop',
  wasb: 'flink-azure-fs-hadoop',
  wasbs: 'flink-azure-fs-hadoop',
  oss: 'flink-oss-fs-hadoop',
};

/**
 * The plugins the configured paths need, by name (flink-s3-fs-hadoop), and when the full
 * Flink version is known the jars `ENABLE_BUILT_IN_PLUGINS` names (flink-s3-fs-hadoop-1.20.3.jar).
 */
export function plugins(
  conf: Record<string, string>,
  v: FlinkVersion,
  extraUris: string[] = [],
): { schemes: string[]; names: string[]; jars: string[] } {
  const schemes = new Set<string>();
  for (const value of [...Object.values(conf), ...extraUris]) {
    for (const m of value.matchAll(/\b([a-z][a-z0-9]*):\/\//g)) if (PLUGIN_BY_SCHEME[m[1]!]) schemes.add(`${m[1]}://`);
  }
  const names = [...new Set([...schemes].map((s) => PLUGIN_BY_SCHEME[s.slice(0, -3)]!))].sort();
  return { schemes: [...schemes].sort(), names, jars: v.patch ? names.map((n) => `${n}-${v.patch}.jar`) : [] };
}

export interface HaSettings {
  clusterId: string;
}

/**
 * The configuration as Flink reads it: VVP's `high-availability: vvp-kubernetes` translated
 * into Flink's Kubernetes HA (when `ha` is given), Flink's default JVM options in front of the
 * user's. Assumes configProblems() found nothing.
 */
export function translateConfig(conf: Record<string, string>, v: FlinkVersion, ha: HaSettings | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(conf)) {
    if (HA_KEYS.includes(k as (typeof HA_KEYS)[number])) continue; // written below, as Flink names it
    out[k] = value;
  }
  out['env.java.opts.all'] = [defaultJvmOptions(v), conf['env.java.opts.all']].filter(Boolean).join(' ');
  if (ha) {
    out['high-availability.type'] = 'kubernetes';
    out['high-availability.storageDir'] = haStorageDir(conf)!;
    out['kubernetes.cluster-id'] = ha.clusterId;
  } else {
    // Any other HA mode (zookeeper, a factory class) is Flink's own: kept as given.
    const mode = conf['high-availability.type'] ?? conf['high-availability'];
    if (mode !== undefined) out['high-availability.type'] = mode;
  }
  return out;
}

/** Logging to the console (kubectl logs), as the official image's conf dir would have it. */
export const LOG4J_CONSOLE = `rootLogger.level = INFO
rootLogger.appenderRef.console.ref = ConsoleAppender
logger.pekko.name = org.apache.pekko
logger.pekko.level = INFO
logger.kafka.name = org.apache.kafka
logger.kafka.level = INFO
logger.hadoop.name = org.apache.hadoop
logger.hadoop.level = WARN
logger.zookeeper.name = org.apache.zookeeper
logger.zookeeper.level = INFO
logger.netty.name = org.jboss.netty.channel.DefaultChannelPipeline
logger.netty.level = OFF
appender.console.name = ConsoleAppender
appender.console.type = CONSOLE
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
`;

/** Flink's default execution.checkpointing.timeout, which bounds a savepoint too. */
export const DEFAULT_CHECKPOINT_TIMEOUT_MS = 10 * 60_000;

// The micro sign as \u00b5: a bundle of pure ASCII is a one-byte string in V8, half the memory (scripts/build.ts).
const UNITS: [RegExp, number][] = [
  [/^(ns|nano|nanos|nanosecond|nanoseconds)$/, 1e-6],
  [/^(us|\u00b5s|micro|micros|microsecond|microseconds)$/, 1e-3],
  [/^(ms|milli|millis|millisecond|milliseconds)?$/, 1],
  [/^(s|sec|secs|second|seconds)$/, 1000],
  [/^(m|min|mins|minute|minutes)$/, 60_000],
  [/^(h|hour|hours)$/, 3_600_000],
  [/^(d|day|days)$/, 86_400_000],
];

/** A Flink duration ("10 min", "30s", "1 h", "500": milliseconds) in ms; undefined if not one. */
export function parseFlinkDuration(text: string | undefined): number | undefined {
  const m = text
    ?.trim()
    .toLowerCase()
    .match(/^(\d+)\s*([a-z\u00b5]*)$/);
  if (!m) return undefined;
  const unit = UNITS.find(([re]) => re.test(m[2]!));
  return unit ? Number(m[1]) * unit[1] : undefined;
}

/** Whether a Flink version ("1.9", "1.17.2") is at least major.minor. */
export function flinkAtLeast(version: string | undefined, major: number, minor: number): boolean {
  const m = version?.match(/^(\d+)\.(\d+)/);
  return !!m && (Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor));
}
