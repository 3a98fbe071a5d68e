import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Node,
  type V1Pod,
  Watch,
} from '@kubernetes/client-node';

/**
 * Plays the scheduler and the kubelet of one fake Node (as KWOK does): binds every
 * unscheduled pod to it, then writes the pod status a kubelet would, and finalizes
 * deletions. Annotations steer a pod:
 *   sim.sluice.dev/outcome: run (default) | fail | succeed | crash | hang
 *     fail: phase Failed, exit code 1 (what restartPolicy Never gives); crash: stays Running,
 *     not ready, container in CrashLoopBackOff (what restartPolicy Always gives); hang: Pending
 *   sim.sluice.dev/delay-ms: N   how long the pod stays Pending before its outcome
 * Changing the outcome of a running pod later moves it (after the base delay).
 */

export const OUTCOME_ANNOTATION = 'sim.sluice.dev/outcome';
export const DELAY_ANNOTATION = 'sim.sluice.dev/delay-ms';
export const SIM_NODE = 'sluice-sim-node';

export interface PodSimulatorOptions {
  /** Default delay before a pod leaves Pending, and before later transitions (ms). */
  delayMs?: number;
  nodeName?: string;
  /** Where errors go; default stderr. Expected races (404, 409) are not reported. */
  log?: (line: string) => void;
}

export interface PodSimulator {
  stop(): Promise<void>;
}

/** What the simulated kubelet reports: a pod phase, or Running with a crash-looping container. */
type State = 'Running' | 'Succeeded' | 'Failed' | 'CrashLoopBackOff';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const codeOf = (err: unknown) => (err as { code?: unknown; statusCode?: unknown } | null)?.code ?? (err as { statusCode?: unknown } | null)?.statusCode;

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

  const ipOf = (uid: string) => {
    let ip = ips.get(uid);
    if (!ip) {
      const n = nextIp++;
      ip = `10.244.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
      ips.set(uid, ip);
    }
    return ip;
  };
  const cancel = (uid: string) => {
    const t = timers.get(uid);
    if (t) clearTimeout(t.timer);
    timers.delete(uid);
  };
  const forget = (uid: string) => {
    cancel(uid);
    pods.delete(uid);
    ips.delete(uid);
  };

  const reconcile = async (pod: V1Pod): Promise<void> => {
    const { name, namespace, uid } = pod.metadata ?? {};
    if (!name || !namespace || !uid || stopped) return;
    // No kubelet will confirm the graceful deletion: finish it now.
    if (pod.metadata?.deletionTimestamp) {
      cancel(uid);
      await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch((e) => report(`delete ${namespace}/${name}`, e));
      return;
    }
    if (!pod.spec?.nodeName) {
      const body = { metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } };
      await core.createNamespacedPodBinding({ name, namespace, body }).catch((e) => report(`bind ${namespace}/${name}`, e));
      return;
    }
    if (pod.spec.nodeName !== nodeName) return;
    const phase = pod.status?.phase;
    const target = desiredState(pod);
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
      if (!latest || stopped || desiredState(latest) !== target) return;
      core.patchNamespacedPodStatus({ name, namespace, body: statusFor(latest, target, ipOf(uid)) }, mergePatch)
        .catch((e) => report(`status of ${namespace}/${name}`, e));
    }, delay);
    timers.set(uid, { timer, target });
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
    },
  };
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

function delayOf(pod: V1Pod, fallback: number): number {
  const n = Number(pod.metadata?.annotations?.[DELAY_ANNOTATION]);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

function currentState(pod: V1Pod): string | undefined {
  const crashing = pod.status?.containerStatuses?.some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff');
  return pod.status?.phase === 'Running' && crashing ? 'CrashLoopBackOff' : pod.status?.phase;
}

/** The status a kubelet would report in `state` (merge patch: the lists are replaced whole). */
function statusFor(pod: V1Pod, state: State, podIP: string): object {
  const at = now();
  const started = pod.status?.startTime ? new Date(pod.status.startTime).toISOString().replace(/\.\d+Z$/, 'Z') : at;
  const running = state === 'Running';
  const failedExit = { exitCode: 1, reason: 'Error', startedAt: started, finishedAt: at };
  const containerStatus = (name: string, image: string) => ({
    name,
    image,
    imageID: `sim://${image}`,
    containerID: `sim://${pod.metadata?.uid}/${name}`,
    ready: running,
    started: running,
    restartCount: state === 'CrashLoopBackOff' ? 1 : 0,
    ...(state === 'Running' ? { state: { running: { startedAt: started } } } : {}),
    ...(state === 'Failed' ? { state: { terminated: failedExit } } : {}),
    ...(state === 'Succeeded' ? { state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: at } } } : {}),
    // What a kubelet shows for restartPolicy Always/OnFailure: the pod stays Running.
    ...(state === 'CrashLoopBackOff'
      ? { state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off restarting failed container' } }, lastState: { terminated: failedExit } }
      : {}),
  });
  const phase = state === 'CrashLoopBackOff' ? 'Running' : state;
  const notReadyReason = { Running: undefined, Failed: 'PodFailed', Succeeded: 'PodCompleted', CrashLoopBackOff: 'ContainersNotReady' }[state];
  const condition = (type: string, ok: boolean) => ({
    type,
    status: ok ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: at,
    ...(ok || !notReadyReason ? {} : { reason: notReadyReason }),
  });
  return {
    status: {
      phase,
      hostIP: NODE_IP,
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: started,
      conditions: [
        condition('Initialized', true),
        condition('Ready', running),
        condition('ContainersReady', running),
        condition('PodScheduled', true),
      ],
      initContainerStatuses: (pod.spec?.initContainers ?? []).map((c) => ({
        ...containerStatus(c.name, c.image ?? ''),
        ready: true,
        started: false,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started } },
      })),
      containerStatuses: (pod.spec?.containers ?? []).map((c) => containerStatus(c.name, c.image ?? '')),
    },
  };
}

const NODE_IP = '10.240.0.1';

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
      addresses: [{ type: 'InternalIP', address: NODE_IP }, { type: 'Hostname', address: name }],
      conditions: [{
        type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'simulated by Sluice',
        lastHeartbeatTime: now(), lastTransitionTime: now(),
      }],
      nodeInfo: {
        architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'v1.20.2-sim', kubeProxyVersion: 'v1.20.2-sim',
        containerRuntimeVersion: 'sim://1', kernelVersion: '', osImage: 'simulated', machineID: '', systemUUID: '', bootID: '',
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
