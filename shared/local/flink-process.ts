import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import YAML from 'yaml';
import { type ConfigFile, renderConfig } from '../vvp/flink-config.js';

/**
 * Runs a Flink pod's containers as local Java processes, as the official image's entrypoint
 * would in a container (the pod simulator's real-Flink mode):
 *
 *  - FLINK_HOME is a per-pod directory: lib/, opt/, plugins/, bin/, examples/ linked from a
 *    Flink runtime fetched by scripts/fetch-flink.sh; conf/ the pod's ConfigMap; usrlib/ its own.
 *  - The init container's script runs with the image's FLINK_HOME (/opt/flink or /flink)
 *    read as this directory: it copies or downloads the artifacts into usrlib.
 *  - Each pod has its own loopback address. Flink binds to it (the bind hosts are set to it in
 *    the materialised configuration, as 0.0.0.0 is in a pod's own network), and the JobManager's
 *    Service name in `jobmanager.rpc.address` is replaced by the IP of the pod the Service
 *    selects, which is what cluster DNS would answer. That rewrite is the only change.
 *  - `standalone-job`, `jobmanager`, `taskmanager` start Flink's entry points with the JVM
 *    memory options and dynamic properties Flink's own BashJavaUtils computes (as config.sh
 *    does), `env.java.opts.*`, log4j-console.properties, and the classpath lib/* (flink-dist last).
 * Kubernetes HA is not supported here (Flink would need an in-cluster API client).
 */

const run = promisify(execFile);

export const ENTRY_POINTS = {
  'standalone-job': 'org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint',
  jobmanager: 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint',
  taskmanager: 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner',
} as const;
type Command = keyof typeof ENTRY_POINTS;

/** The cached runtime for an image's Flink version line (its tag's x.y): ~/.cache/sluice/flink-<x.y.z>. */
export function runtimeFor(
  imageRef: string,
  cache = join(process.env.SLUICE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sluice')),
): string {
  const tag = imageRef.split(':').pop() ?? '';
  const line = tag.match(/^(\d+)\.(\d+)/);
  if (!line) throw new Error(`image ${imageRef}: no Flink version in its tag`);
  let dirs: string[] = [];
  try {
    dirs = readdirSync(cache).filter((d) => d.startsWith(`flink-${line[1]}.${line[2]}.`) && !d.includes('.tmp') && !d.endsWith('.lock'));
  } catch {
    // no cache yet
  }
  // A 2.x image runs on the one cached 2.x runtime when its own line is not cached.
  if (!dirs.length && Number(line[1]) >= 2) dirs = readdirSync(cache).filter((d) => /^flink-2\.\d+\.\d+$/.test(d));
  if (!dirs.length) throw new Error(`no Flink ${line[1]}.${line[2]} runtime in ${cache}: run scripts/fetch-flink.sh ${line[1]}.${line[2]}`);
  return join(cache, dirs.sort().pop()!);
}

/** A flat Flink configuration from the ConfigMap's file (ours: flat keys in either format). */
export function parseConfig(text: string, file: ConfigFile): Record<string, string> {
  if (file === 'config.yaml') {
    const parsed = (YAML.parse(text) ?? {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  }
  const conf: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const body = line.split('#')[0]!.trim();
    const at = body.indexOf(': ');
    if (at > 0) conf[body.slice(0, at).trim()] = body.slice(at + 2).trim();
  }
  return conf;
}

/** The container's args with Kubernetes' $(VAR) references expanded from its env. */
export function expandArgs(args: string[], env: Record<string, string>): string[] {
  return args.map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole));
}

/** The last lines of a failed container's output, as `terminationMessagePolicy: FallbackToLogsOnError` gives them. */
export function terminationMessage(output: string): string {
  const lines = output.trimEnd().split('\n').slice(-80).join('\n');
  return lines.length > 2048 ? lines.slice(-2048) : lines;
}

export interface FlinkContainerOptions {
  pod: V1Pod;
  podIp: string;
  /** ConfigMap data mounted as the conf dir. */
  confData: Record<string, string>;
  /** The IP behind the JobManager Service's name. */
  jobManagerIp: string;
  workDir: string;
  log: (line: string) => void;
}

export interface FlinkContainer {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number; message: string }>;
  readonly readinessPort?: number;
  kill(): Promise<void>;
}

async function bashJavaUtils(
  home: string,
  distJar: string,
  confDir: string,
  which: 'GET_JM_RESOURCE_PARAMS' | 'GET_TM_RESOURCE_PARAMS',
): Promise<{ jvm: string[]; dynamic: string[] }> {
  const { stdout } = await run(
    'java',
    [
      '-cp',
      `${home}/bin/bash-java-utils.jar:${distJar}`,
      'org.apache.flink.runtime.util.bash.BashJavaUtils',
      which,
      '--configDir',
      confDir,
    ],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const results = stdout
    .split('\n')
    .filter((l) => l.startsWith('BASH_JAVA_UTILS_EXEC_RESULT:'))
    .map((l) => l.slice('BASH_JAVA_UTILS_EXEC_RESULT:'.length).trim());
  if (results.length < 2) throw new Error(`BashJavaUtils ${which} gave no result:\n${stdout.slice(-2000)}`);
  return { jvm: results[0]!.split(/\s+/).filter(Boolean), dynamic: results[1]!.split(/\s+/).filter(Boolean) };
}

/** Runs the init container's script in the pod's FLINK_HOME; resolves when it has succeeded. */
export async function runInitContainer(c: V1Container, imageHome: string, podHome: string): Promise<void> {
  const script = c.command?.[0] === 'sh' && c.command[1] === '-c' ? c.command[2]! : undefined;
  if (!script) throw new Error(`init container ${c.name}: only 'sh -c <script>' is supported`);
  const local = script.split(`${imageHome}/`).join(`${podHome}/`);
  await run('sh', ['-c', local], { timeout: 120_000 });
}

/** Starts the pod's Flink container; the caller has run its init container. */
export async function startFlinkContainer(o: FlinkContainerOptions): Promise<FlinkContainer> {
  const container = o.pod.spec!.containers[0]!;
  const runtime = runtimeFor(container.image ?? '');
  const envList = container.env ?? [];
  const imageHome = envList.find((e) => e.name === 'FLINK_CONF_DIR')?.value?.replace(/\/conf$/, '') ?? '/opt/flink';
  const home = join(o.workDir, 'flink');
  const confDir = join(home, 'conf');
  mkdirSync(confDir, { recursive: true });
  mkdirSync(join(home, 'usrlib'), { recursive: true });
  mkdirSync(join(home, 'log'), { recursive: true });
  for (const d of ['lib', 'opt', 'plugins', 'bin', 'examples']) {
    rmSync(join(home, d), { force: true });
    symlinkSync(join(runtime, d), join(home, d));
  }

  const file: ConfigFile = o.confData['config.yaml'] !== undefined ? 'config.yaml' : 'flink-conf.yaml';
  const conf = parseConfig(o.confData[file] ?? '', file);
  const local = {
    ...conf,
    'jobmanager.rpc.address': o.jobManagerIp,
    'jobmanager.bind-host': o.podIp,
    'taskmanager.bind-host': o.podIp,
    'taskmanager.host': o.podIp,
    'rest.bind-address': o.podIp,
    'rest.address': o.podIp,
  };
  writeFileSync(join(confDir, file), renderConfig(local, file));
  for (const [name, text] of Object.entries(o.confData)) if (name !== file) writeFileSync(join(confDir, name), text);

  for (const init of o.pod.spec?.initContainers ?? []) await runInitContainer(init, imageHome, home);

  const env: Record<string, string> = {};
  for (const e of envList) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'status.podIP') env[e.name] = o.podIp;
  }
  const [command, ...rest] = expandArgs(container.args ?? [], env);
  if (!command || !(command in ENTRY_POINTS))
    throw new Error(`container ${container.name}: unsupported args ${JSON.stringify(container.args)}`);
  const role = command === 'taskmanager' ? 'taskmanager' : 'jobmanager';
  const distJar = readdirSync(join(home, 'lib')).find((f) => /^flink-dist.*\.jar$/.test(f));
  if (!distJar) throw new Error(`no flink-dist jar in ${runtime}/lib`);
  const memory = await bashJavaUtils(
    home,
    join(home, 'lib', distJar),
    confDir,
    role === 'taskmanager' ? 'GET_TM_RESOURCE_PARAMS' : 'GET_JM_RESOURCE_PARAMS',
  );
  const classpath = [
    ...readdirSync(join(home, 'lib'))
      .filter((f) => f.endsWith('.jar') && f !== distJar)
      .sort(),
    distJar,
  ]
    .map((f) => join(home, 'lib', f))
    .join(':');
  const javaOpts = [conf['env.java.opts.all'], conf[`env.java.opts.${role}`]].filter(Boolean).join(' ').split(/\s+/).filter(Boolean);
  const log4j = join(confDir, 'log4j-console.properties');
  const javaArgs = [
    ...memory.jvm,
    ...javaOpts,
    `-Dlog.file=${join(home, 'log', `flink-${role}.log`)}`,
    `-Dlog4j.configuration=file:${log4j}`,
    `-Dlog4j.configurationFile=file:${log4j}`,
    '-classpath',
    classpath,
    ENTRY_POINTS[command as Command],
    '--configDir',
    confDir,
    ...memory.dynamic,
    ...rest,
  ];
  const child = spawn('java', javaArgs, {
    cwd: home,
    env: {
      ...process.env,
      ...env,
      FLINK_HOME: home,
      FLINK_CONF_DIR: confDir,
      FLINK_LIB_DIR: join(home, 'lib'),
      FLINK_OPT_DIR: join(home, 'opt'),
      FLINK_PLUGINS_DIR: join(home, 'plugins'),
      FLINK_BIN_DIR: join(home, 'bin'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never leave a JVM behind, even when this process dies without stopping the simulator.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-64 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  writeFileSync(join(o.workDir, 'command'), `java ${javaArgs.join(' ')}\n`);
  const exited = new Promise<{ code: number; message: string }>((resolve) => {
    child.once('exit', (code, signal) => {
      writeFileSync(join(o.workDir, 'output.log'), output);
      resolve({ code: code ?? (signal ? 128 + 15 : 1), message: terminationMessage(output) });
    });
  });
  const probe = container.readinessProbe?.tcpSocket?.port;
  return {
    process: child,
    exited,
    ...(typeof probe === 'number' ? { readinessPort: probe } : {}),
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
