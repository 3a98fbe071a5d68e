import type { JobCrStatus } from '../../shared/model/index.js';

/**
 * A job that has only just started or recovered often fails again at once (user code that
 * throws soon, a sink that is not there): watched this long after Flink's last change.
 */
export const SETTLE_MS = 60_000;

/**
 * A job whose state Flink may change without any Kubernetes event: starting, restarting or
 * otherwise not RUNNING in Flink, or RUNNING for less than SETTLE_MS. Sluice looks again
 * soon; a job that has run steadily for longer costs nothing until an event or the resync.
 */
export function inTransition(status: JobCrStatus | undefined, now: number): boolean {
  const state = status?.state;
  if (state === 'STARTING') return true;
  if (state !== 'STARTED') return false;
  if ((status?.started?.observedFlinkJobStatus ?? 'RUNNING') !== 'RUNNING') return true;
  const since = Date.parse(status?.started?.lastUpdateTime ?? status?.started?.startedAt ?? '');
  return Number.isFinite(since) && now - since < SETTLE_MS;
}
