import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Node, type V1Pod, Watch } from '@kubernetes/client-node';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flinkJobId } from '../vvp/flink-resources.js';
import { type FlinkContainer, parseConfig, startFlinkContainer } from './flink-process.js';
import { NODE_IP, type RealProcess, type State, currentState, now, realStatus, statusFor, unschedulableStatus } from './kubelet.js';
import { type FlinkStandIn, type SavepointBehaviour, startFlinkStandIn } from './flink-standin.js';

/**
 * Plays the scheduler and the kubelet of one fake Node (as KWOK does): binds every
 * unscheduled pod to it, then writes the pod status a kubelet would, and finalizes
 * deletions. Annotations steer a pod:
 *   sim.sluice.dev/outcome: run (default) | fail | succeed | crash | hang | unschedulable
 *     fail: phase Failed, exit code 1 (what restartPolicy Never gives); crash: stays Running,
 *     not ready, container in CrashLoopBackOff (what restartPolicy Always gives); hang: Pending;
 *     unschedulable: not bound, Pending with the condition kube-scheduler writes when no node
 *     has room (bound as soon as the annotation goes)
 *   sim.sluice.dev/delay-ms: N   how long the pod stays Pending before its outcome
 * Changing the outcome of a running pod later moves it (after the base delay).
 *
 * JobManager pods (label `component=jobmanager` with a `jobId`) get a loopback pod IP
 * 127.0.<a>.<b> of their own, on which a Flink REST stand-in (flink-standin.ts) answers on
 * port 8081 for the job's Flink id, so that Sluice can take savepoints through the pod IP as
 * it does in a cluster. Its savepoints are steered by annotations too:
 *   sim.sluice.dev/savepoint: ok (default) | fail | stall
 *   sim.sluice.dev/savepoint-delay-ms: N   how long a savepoint takes (default 300)
 * A completed stop-with-savepoint makes the pod Succeeded, as a real JobManager exits when its
 * job stops; every savepoint trigger is recorded as a Kubernetes Event (reason
 * SavepointTriggered) on the pod. The stand-in stops when the pod goes away. Other pods get
 * 10.244.x.y IPs.
 *
 * Real Flink instead of the stand-in, per pod: `sim.sluice.dev/flink: real` on a JobManager or
 * TaskManager pod runs its container as local Java processes (flink-process.ts) on a loopback IP
 * of its own, with a Flink runtime that scripts/fetch-flink.sh cached for the image's version.
 * Its phase, container state and exit code come from the process (a failed one's last output
 * lines as the termination message), Ready from its readiness probe (TCP, every second). The
 * process is killed when the pod is deleted and when the simulator stops.
 */

export const OUTCOME_ANNOTATION = 'sim.sluice.dev/outcome';
export const DELAY_ANNOTATION = 'sim.sluice.dev/delay-ms';
export const SIM_NODE = 'sluice-sim-node';
export const SAVEPOINT_ANNOTATION = 'sim.sluice.dev/savepoint';
export const SAVEPOINT_DELAY_ANNOTATION = 'sim.sluice.dev/savepoint-delay-ms';
/** `real`: the pod runs real Flink processes instead of the stand-in. */
export const FLINK_ANNOTATION = 'sim.sluice.dev/flink';
/** Reason of the Event recorded on a JobManager pod for every savepoint its stand-in was asked for. */
export const SAVEPOINT_TRIGGERED_REASON = 'SavepointTriggered';

export interface PodSimulatorOptions {
  /** Default delay before a pod leaves Pending, and before later transitions (ms). */
  delayMs?: number;
  nodeName?: string;
  /** Where errors go; default stderr. Expected races (404, 409) are not reported. */
  log?: (line: string) => void;
  /** Run Flink REST stand-ins for JobManager pods (default true). */
  flinkStandIns?: boolean;
}

export interface PodSimulator {
  stop(): Promise<void>;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const codeOf = (err: unknown) =>
  (err as { code?: unknown; statusCode?: unknown } | null)?.code ?? (err as { statusCode?: unknown } | null)?.statusCode;

export async function startPodSimulator(kubeconfigPath: string, opts: PodSimulatorOptions = {}): Promise<PodSimulator> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const nodeName = opts.nodeName ?? SIM_NODE;
  const baseDelay = opts.delayMs ?? 20;
  const log = opts.log ?? ((line: string) => process.stderr.write(`[pod-simulator] ${line}\n`));
  const report = (what: string, err: unknown) => {
    const code = codeOf(err);
    if (code === 404 || code === 409) return;
    const body = (err as { body?: unknown }).body;
    log(`${what}: ${err instanceof Error ? err.message : String(err)}${body ? ` ${JSON.stringify(body)}` : ''}`);
  };

  let stopped = false;
  let abort: AbortController | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  /** Latest version of each pod seen, by uid: timers act on it, not on a stale copy. */
  const pods = new Map<string, V1Pod>();
  const timers = new Map<string, { timer: NodeJS.Timeout; target: State }>();
  const ips = new Map<string, string>();
  let nextIp = 0;
  /** JobManager pods' stand-ins (pending while binding), and the pods whose job was stopped. */
  const standIns = new Map<string, Promise<FlinkStandIn | undefined>>();
  const stoppedJobs = new Set<string>();
  const standInsEnabled = opts.flinkStandIns ?? true;
  /** Pods running real Flink: their process (once started) and what it reports. */
  const flinkPods = new Map<string, RealFlinkPod>();
  // Loopback addresses 127.0.1.1-127.0.254.254, from a random start so that simulators of
  // runs side by side on one machine rarely meet; a taken one is skipped.
  const LOOPBACKS = 254 * 254;
  let nextLoopback = Math.floor(Math.random() * LOOPBACKS);

  const ipOf = (uid: string) => {
    let ip = ips.get(uid);
    if (!ip) {
      const n = nextIp++;
      ip = `10.244.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
      ips.set(uid, ip);
    }
    return ip;
  };

  const closeStandIn = (uid: string) => {
    const pending = standIns.get(uid);
    standIns.delete(uid);
    stoppedJobs.delete(uid);
    void pending?.then((s) => s?.close()).catch((e: unknown) => report('stopping a Flink stand-in', e));
  };

  /** Starts the JobManager's stand-in on a free loopback IP, once; its IP becomes the pod's. */
  const standInFor = (pod: V1Pod): Promise<FlinkStandIn | undefined> => {
    const uid = pod.metadata!.uid!;
    let pending = standIns.get(uid);
    if (pending) return pending;
    const jobId = pod.metadata!.labels!.jobId!;
    const latest = () => pods.get(uid) ?? pod;
    // A pod that already has a loopback IP (a simulator restarted under it) keeps it if it can.
    const known = pod.status?.podIP?.startsWith('127.') ? pod.status.podIP : undefined;
    const start = async (): Promise<FlinkStandIn | undefined> => {
      for (let tries = 0; tries < 64; tries++) {
        const n = nextLoopback++ % LOOPBACKS;
        const host = tries === 0 && known ? known : `127.0.${Math.floor(n / 254) + 1}.${(n % 254) + 1}`;
        try {
          return await startFlinkStandIn({
            host,
            jobId: flinkJobId(jobId),
            behaviour: () => savepointBehaviour(latest()),
            delayMs: () => savepointDelay(latest()),
            onTrigger: (t) => void recordTrigger(core, latest(), t).catch((e: unknown) => report('recording a savepoint trigger', e)),
            onStopped: () => {
              if (!standIns.has(uid)) return;
              stoppedJobs.add(uid);
              reconcile(latest()).catch((e: unknown) => report('reconcile', e));
            },
          });
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code === 'EADDRINUSE') continue;
          report(`Flink stand-in for ${pod.metadata?.namespace}/${pod.metadata?.name} (${host})`, err);
          return undefined; // e.g. no 127/8 loopback range here: the pod gets an ordinary IP
        }
      }
      log(`no free loopback address for the Flink stand-in of ${pod.metadata?.namespace}/${pod.metadata?.name}`);
      return undefined;
    };
    pending = start().then((standIn) => {
      // The pod went away while binding.
      if (standIns.get(uid) !== pending) void standIn?.close();
      return standIn;
    });
    standIns.set(uid, pending);
    return pending;
  };

  /** The pod's IP: a JobManager's is its stand-in's address. */
  const podIpOf = async (pod: V1Pod, target: State): Promise<string> => {
    const uid = pod.metadata!.uid!;
    // A JobManager that never ran needs no REST endpoint; one that did keeps its IP.
    if (standInsEnabled && isJobManager(pod) && (target !== 'Failed' || standIns.has(uid))) {
      const standIn = await standInFor(pod);
      if (standIn) return standIn.host;
    }
    return ipOf(uid);
  };

  const cancel = (uid: string) => {
    const t = timers.get(uid);
    if (t) clearTimeout(t.timer);
    timers.delete(uid);
  };
  const stopRealFlink = (uid: string) => {
    const real = flinkPods.get(uid);
    flinkPods.delete(uid);
    if (!real) return Promise.resolve();
    real.stopped = true;
    clearInterval(real.probe);
    return (real.container?.kill() ?? Promise.resolve())
      .catch((e: unknown) => report('stopping a Flink process', e))
      .finally(() => rmSync(real.workDir, { recursive: true, force: true }));
  };
  const forget = (uid: string) => {
    cancel(uid);
    pods.delete(uid);
    ips.delete(uid);
    closeStandIn(uid);
    void stopRealFlink(uid);
  };

  /** Writes what a real Flink pod's process says into its status. */
  const writeReal = (uid: string) => {
    const pod = pods.get(uid);
    const real = flinkPods.get(uid);
    if (!pod || !real || stopped) return;
    const { name, namespace } = pod.metadata!;
    core
      .patchNamespacedPodStatus({ name: name!, namespace: namespace!, body: realStatus(pod, real) }, mergePatch)
      .catch((e: unknown) => report(`status of ${namespace}/${name}`, e));
  };

  /** The IP cluster DNS would give the JobManager Service's name: its selected pod's. */
  const serviceIp = async (namespace: string, service: string): Promise<string | undefined> => {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(service)) return service;
    const svc = await core.readNamespacedService({ name: service, namespace });
    const selector = Object.entries(svc.spec?.selector ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const selected = (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
    return selected.find((p) => p.status?.phase === 'Running' && p.status.podIP && !p.metadata?.deletionTimestamp)?.status?.podIP;
  };

  /** Starts a real Flink pod's process once its JobManager (for a TaskManager) has an IP. */
  const startRealFlink = async (pod: V1Pod): Promise<void> => {
    const uid = pod.metadata!.uid!;
    const namespace = pod.metadata!.namespace!;
    if (flinkPods.has(uid)) return;
    const n = nextLoopback++ % LOOPBACKS;
    const podIp = `127.0.${Math.floor(n / 254) + 1}.${(n % 254) + 1}`;
    const real: RealFlinkPod = {
      podIp,
      workDir: mkdtempSync(join(tmpdir(), `sluice-flink-${pod.metadata!.name}-`)),
      ready: false,
      stopped: false,
    };
    flinkPods.set(uid, real);
    try {
      const confData = await flinkConfigFiles(core, pod);
      const file = confData['config.yaml'] !== undefined ? 'config.yaml' : 'flink-conf.yaml';
      const address = parseConfig(confData[file] ?? '', file)['jobmanager.rpc.address'] ?? '';
      const isJm = pod.metadata?.labels?.component === 'jobmanager';
      let jobManagerIp = isJm ? podIp : undefined;
      for (let i = 0; !jobManagerIp && i < 600 && !real.stopped; i++) {
        jobManagerIp = await serviceIp(namespace, address).catch(() => undefined);
        if (!jobManagerIp) await new Promise((r) => setTimeout(r, 500));
      }
      if (real.stopped) return;
      if (!jobManagerIp) throw new Error(`the JobManager behind ${address} never got an IP`);
      real.container = await startFlinkContainer({ pod, podIp, confData, jobManagerIp, workDir: real.workDir, log });
      if (real.stopped) return void real.container.kill();
      writeReal(uid);
      const port = real.container.readinessPort;
      real.probe = setInterval(() => {
        if (port === undefined) return;
        const socket = connect({ host: podIp, port });
        const done = (ok: boolean) => {
          socket.destroy();
          if (ok !== real.ready && !real.exit && !real.stopped) {
            real.ready = ok;
            writeReal(uid);
          }
        };
        socket.once('connect', () => done(true));
        socket.once('error', () => done(false));
        socket.setTimeout(900, () => done(false));
      }, 1_000);
      real.probe.unref();
      void real.container.exited.then((exit) => {
        if (real.stopped) return;
        clearInterval(real.probe);
        real.exit = exit;
        real.ready = false;
        log(`${namespace}/${pod.metadata!.name}: Flink exited with code ${exit.code}`);
        writeReal(uid);
      });
    } catch (err) {
      if (real.stopped) return;
      real.exit = { code: 1, message: `sluice pod simulator: ${(err as Error).message}` };
      report(`real Flink for ${namespace}/${pod.metadata!.name}`, err);
      writeReal(uid);
    }
  };

  const reconcile = async (pod: V1Pod): Promise<void> => {
    const { name, namespace, uid } = pod.metadata ?? {};
    if (!name || !namespace || !uid || stopped) return;
    // No kubelet will confirm the graceful deletion: finish it now.
    if (pod.metadata?.deletionTimestamp) {
      cancel(uid);
      closeStandIn(uid);
      await stopRealFlink(uid);
      await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch((e) => report(`delete ${namespace}/${name}`, e));
      return;
    }
    if (!pod.spec?.nodeName && pod.metadata?.annotations?.[OUTCOME_ANNOTATION] === 'unschedulable') {
      if (!pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')) {
        await core
          .patchNamespacedPodStatus({ name, namespace, body: unschedulableStatus() }, mergePatch)
          .catch((e) => report(`status of ${namespace}/${name}`, e));
      }
      return;
    }
    if (!pod.spec?.nodeName) {
      const body = { metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } };
      await core.createNamespacedPodBinding({ name, namespace, body }).catch((e) => {
        report(`bind ${namespace}/${name}`, e);
        again(uid);
      });
      return;
    }
    if (pod.spec.nodeName !== nodeName) return;
    if (pod.metadata?.annotations?.[FLINK_ANNOTATION] === 'real') {
      if (!flinkPods.has(uid)) void startRealFlink(pod);
      return;
    }
    const phase = pod.status?.phase;
    if (standInsEnabled && isJobManager(pod) && phase === 'Running' && !standIns.has(uid)) void standInFor(pod);
    const target = stoppedJobs.has(uid) ? 'Succeeded' : desiredState(pod);
    if (phase === 'Succeeded' || phase === 'Failed' || !target || target === currentState(pod)) {
      cancel(uid); // a kubelet never revives a finished pod
      return;
    }
    if (timers.get(uid)?.target === target) return; // already on its way; do not restart the clock
    cancel(uid);
    const delay = phase === 'Running' ? baseDelay : delayOf(pod, baseDelay);
    const timer = setTimeout(() => {
      timers.delete(uid);
      const latest = pods.get(uid);
      if (!latest || stopped || (stoppedJobs.has(uid) ? 'Succeeded' : desiredState(latest)) !== target) return;
      podIpOf(latest, target)
        .then((ip) => {
          if (stopped || !pods.has(uid)) return;
          return core.patchNamespacedPodStatus({ name, namespace, body: statusFor(pods.get(uid)!, target, ip) }, mergePatch);
        })
        .catch((e) => {
          report(`status of ${namespace}/${name}`, e);
          again(uid);
        });
    }, delay);
    timers.set(uid, { timer, target });
  };

  /**
   * A write that failed (the API server restarting, say) is tried again from the pod's
   * latest state: the pod itself will not change, so no event would bring it back.
   */
  const again = (uid: string) => {
    setTimeout(() => {
      const latest = pods.get(uid);
      if (latest && !stopped) reconcile(latest).catch((e) => report('reconcile', e));
    }, 250).unref();
  };

  const onPod = (type: string, pod: V1Pod) => {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    if (type === 'DELETED') return forget(uid);
    pods.set(uid, pod);
    reconcile(pod).catch((e) => report('reconcile', e));
  };

  /** List (and act on) every pod, dropping what vanished meanwhile; returns the resume point. */
  const relist = async (): Promise<string> => {
    const list = await core.listPodForAllNamespaces();
    const seen = new Set<string>();
    for (const pod of list.items) {
      if (pod.metadata?.uid) seen.add(pod.metadata.uid);
      onPod('ADDED', pod);
    }
    for (const uid of pods.keys()) if (!seen.has(uid)) forget(uid);
    return list.metadata?.resourceVersion ?? '';
  };

  const retry = (fn: () => void, ms: number) => {
    if (!stopped) retryTimer = setTimeout(fn, ms);
  };

  const watchFrom = async (version: string): Promise<void> => {
    let rv = version;
    let gone = false;
    const watch = new Watch(kc);
    abort = await watch.watch(
      '/api/v1/pods',
      { resourceVersion: rv, allowWatchBookmarks: true },
      (type: string, obj: V1Pod & { code?: number }) => {
        if (type === 'ERROR') {
          gone = obj.code === 410;
          return;
        }
        rv = obj.metadata?.resourceVersion ?? rv;
        if (type !== 'BOOKMARK') onPod(type, obj);
      },
      (err: unknown) => {
        if (stopped) return;
        if (gone || codeOf(err) === 410) return retry(() => void restart(), 0);
        if (err) report('watch dropped; resuming', err);
        retry(() => void watchFrom(rv).catch(onWatchError), err ? 500 : 0);
      },
    );
  };

  // Re-list and watch; while the API server is away (restart tests), keep trying.
  const restart = async (): Promise<void> => {
    try {
      await watchFrom(await relist());
    } catch (err) {
      onWatchError(err);
    }
  };
  const onWatchError = (err: unknown) => {
    report('list/watch failed; retrying', err);
    retry(() => void restart(), 1000);
  };

  await ensureNode(core, nodeName);
  await watchFrom(await relist());

  return {
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      abort?.abort();
      for (const uid of [...timers.keys()]) cancel(uid);
      const closing = [...standIns.values()].map((p) => p.then((s) => s?.close()).catch(() => undefined));
      standIns.clear();
      await Promise.all([...closing, ...[...flinkPods.keys()].map(stopRealFlink)]);
    },
  };
}

/** A real Flink pod: its process as the kubelet observes it, and what the simulator holds to run and stop it. */
interface RealFlinkPod extends RealProcess {
  workDir: string;
  container?: FlinkContainer;
  probe?: NodeJS.Timeout;
  stopped: boolean;
}

function desiredState(pod: V1Pod): State | undefined {
  switch (pod.metadata?.annotations?.[OUTCOME_ANNOTATION]) {
    case 'hang':
      return undefined;
    case 'fail':
      return 'Failed';
    case 'crash':
      return 'CrashLoopBackOff';
    case 'succeed':
      return 'Succeeded';
    default:
      return 'Running';
  }
}

const isJobManager = (pod: V1Pod) => pod.metadata?.labels?.component === 'jobmanager' && !!pod.metadata?.labels?.jobId;

function savepointBehaviour(pod: V1Pod): SavepointBehaviour {
  const v = pod.metadata?.annotations?.[SAVEPOINT_ANNOTATION];
  return v === 'fail' || v === 'stall' ? v : 'ok';
}

function savepointDelay(pod: V1Pod): number {
  const n = Number(pod.metadata?.annotations?.[SAVEPOINT_DELAY_ANNOTATION]);
  return Number.isFinite(n) && n >= 0 ? n : 300;
}

/** The files of a Flink pod's conf volume: its ConfigMap, or (with secret values) its ConfigMap and Secret projected. */
async function flinkConfigFiles(core: CoreV1Api, pod: V1Pod): Promise<Record<string, string>> {
  const namespace = pod.metadata!.namespace!;
  const volume = pod.spec?.volumes?.find((v) => v.name === 'flink-config');
  const sources = volume?.configMap ? [{ configMap: volume.configMap }] : (volume?.projected?.sources ?? []);
  if (sources.length === 0) throw new Error('no flink-config volume');
  const files: Record<string, string> = {};
  for (const source of sources) {
    if (source.configMap?.name)
      Object.assign(files, (await core.readNamespacedConfigMap({ name: source.configMap.name, namespace })).data ?? {});
    if (source.secret?.name) {
      const data = (await core.readNamespacedSecret({ name: source.secret.name, namespace })).data ?? {};
      for (const [k, v] of Object.entries(data)) files[k] = Buffer.from(v, 'base64').toString('utf8');
    }
  }
  return files;
}

/** A Kubernetes Event on the JobManager pod for each savepoint trigger: outlives the pod, so tests can count them. */
async function recordTrigger(
  core: CoreV1Api,
  pod: V1Pod,
  t: { triggerId: string; kind: string; targetDirectory?: string; at: string },
): Promise<void> {
  const { name, namespace, uid } = pod.metadata ?? {};
  if (!name || !namespace) return;
  await core.createNamespacedEvent({
    namespace,
    body: {
      metadata: { name: `${name}.sp-${t.triggerId.slice(0, 16)}`, namespace },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name, namespace, uid },
      reason: SAVEPOINT_TRIGGERED_REASON,
      message: `${t.kind === 'stop' ? 'stop-with-savepoint' : 'savepoint'} ${t.triggerId} to ${t.targetDirectory ?? '(no directory)'}`,
      type: 'Normal',
      source: { component: 'sluice-pod-simulator', host: SIM_NODE },
      firstTimestamp: new Date(t.at),
      lastTimestamp: new Date(t.at),
      count: 1,
    },
  });
}

function delayOf(pod: V1Pod, fallback: number): number {
  const n = Number(pod.metadata?.annotations?.[DELAY_ANNOTATION]);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** The fake Node: Ready, roomy. nodelifecycle is off in the local cluster, so no heartbeat is needed. */
async function ensureNode(core: CoreV1Api, name: string): Promise<void> {
  const node: V1Node = {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'sluice.dev/simulated': 'true' } },
  };
  try {
    await core.createNode({ body: node });
  } catch (err) {
    if (codeOf(err) !== 409) throw err;
  }
  const capacity = { cpu: '64', memory: '256Gi', pods: '500', 'ephemeral-storage': '1Ti' };
  const status = {
    status: {
      capacity,
      allocatable: capacity,
      addresses: [
        { type: 'InternalIP', address: NODE_IP },
        { type: 'Hostname', address: name },
      ],
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'simulated by Sluice',
          lastHeartbeatTime: now(),
          lastTransitionTime: now(),
        },
      ],
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: 'v1.34.0-sim',
        containerRuntimeVersion: 'sim://1',
        kernelVersion: '',
        osImage: 'simulated',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  };
  await core.patchNodeStatus({ name, body: status }, mergePatch);
  // Admission taints every new node not-ready; the node lifecycle controller, which would lift
  // it, is off in the local cluster.
  const taints = (await core.readNode({ name })).spec?.taints ?? [];
  const kept = taints.filter((t) => t.key !== 'node.kubernetes.io/not-ready');
  if (kept.length !== taints.length) await core.patchNode({ name, body: { spec: { taints: kept.length ? kept : null } } }, mergePatch);
}
