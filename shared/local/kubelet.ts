import type { V1Pod } from '@kubernetes/client-node';

/**
 * What the simulated kubelet (and kube-scheduler, for a pod that fits nowhere) writes into a
 * pod's status, in the shapes the real ones write: pure, so the pod simulator only decides
 * when, and for which outcome.
 */

/** What the simulated kubelet reports: a pod phase, or Running with a crash-looping container. */
export type State = 'Running' | 'Succeeded' | 'Failed' | 'CrashLoopBackOff';

/** Kubernetes' timestamps: seconds precision. */
const timestamp = (at: Date | string | number) => new Date(at).toISOString().replace(/\.\d+Z$/, 'Z');
export const now = () => timestamp(Date.now());
/** When the pod started, as its status says; else `at`. */
const startedAt = (pod: V1Pod, at: string) => (pod.status?.startTime ? timestamp(pod.status.startTime) : at);

/** What a kubelet observes of a real Flink pod's process. */
export interface RealProcess {
  podIp: string;
  ready: boolean;
  exit?: { code: number; message: string };
}

/**
 * A real Flink pod's status, as a kubelet derives it from the process: Running (Ready per its
 * probe); after exit 0 Succeeded; after a failure Failed (restartPolicy Never) or, for
 * OnFailure/Always, Running with the container waiting in CrashLoopBackOff (not restarted here)
 * and the failure in lastState. A failure's message is the output's tail (FallbackToLogsOnError).
 */
export function realStatus(pod: V1Pod, real: RealProcess): object {
  const at = now();
  const started = startedAt(pod, at);
  const exit = real.exit;
  const terminated = exit && {
    exitCode: exit.code,
    reason: exit.code === 0 ? 'Completed' : 'Error',
    startedAt: started,
    finishedAt: at,
    ...(exit.code !== 0 ? { message: exit.message } : {}),
  };
  const restarts = (pod.spec?.restartPolicy ?? 'Always') !== 'Never';
  const phase = !exit ? 'Running' : exit.code === 0 ? 'Succeeded' : restarts ? 'Running' : 'Failed';
  const condition = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: at });
  const c = pod.spec!.containers[0]!;
  const state = !exit
    ? { state: { running: { startedAt: started } } }
    : exit.code !== 0 && restarts
      ? { state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off restarting failed container' } }, lastState: { terminated } }
      : { state: { terminated } };
  return {
    status: {
      phase,
      hostIP: NODE_IP,
      podIP: real.podIp,
      podIPs: [{ ip: real.podIp }],
      startTime: started,
      conditions: [
        condition('Initialized', true),
        condition('Ready', real.ready),
        condition('ContainersReady', real.ready),
        condition('PodScheduled', true),
      ],
      initContainerStatuses: (pod.spec?.initContainers ?? []).map((i) => ({
        name: i.name,
        image: i.image ?? '',
        imageID: `sim://${i.image}`,
        ready: true,
        started: false,
        restartCount: 0,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started } },
      })),
      containerStatuses: [
        {
          name: c.name,
          image: c.image ?? '',
          imageID: `sim://${c.image}`,
          containerID: `sim://${pod.metadata?.uid}/${c.name}`,
          ready: real.ready,
          started: !exit,
          restartCount: exit && exit.code !== 0 && restarts ? 1 : 0,
          ...state,
        },
      ],
    },
  };
}

/** The state a pod's status shows, in the terms of State. */
export function currentState(pod: V1Pod): string | undefined {
  const crashing = pod.status?.containerStatuses?.some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff');
  return pod.status?.phase === 'Running' && crashing ? 'CrashLoopBackOff' : pod.status?.phase;
}

/** The status a kubelet would report in `state` (merge patch: the lists are replaced whole). */
export function statusFor(pod: V1Pod, state: State, podIP: string): object {
  const at = now();
  const started = startedAt(pod, at);
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
      ? {
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off restarting failed container' } },
          lastState: { terminated: failedExit },
        }
      : {}),
  });
  const phase = state === 'CrashLoopBackOff' ? 'Running' : state;
  const notReadyReason = { Running: undefined, Failed: 'PodFailed', Succeeded: 'PodCompleted', CrashLoopBackOff: 'ContainersNotReady' }[
    state
  ];
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

/** The fake Node's address: every pod's hostIP. */
export const NODE_IP = '10.240.0.1';

/** The status kube-scheduler writes on a pod that fits on no node. */
export const unschedulableStatus = () => ({
  status: {
    phase: 'Pending',
    conditions: [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        lastProbeTime: null,
        lastTransitionTime: new Date().toISOString(),
        message:
          '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
      },
    ],
  },
});
