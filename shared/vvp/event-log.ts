import type { CoreV1Event } from '@kubernetes/client-node';
import type { Kube } from '../kube/client.js';
import type { CoordinationStore } from '../runtime/store.js';
import { isAlreadyExists, isNotFound } from '../kube/client.js';
import { API_GROUP, LABELS } from '../model/naming.js';
import { EVENTS, FLINK_DEPLOYMENTS, ownedByDeployment } from '../kube/resources.js';
import type { DeploymentResource } from '../model/index.js';

/**
 * VVP's Event names (EventMetadata.name) that Sluice records. A Deployment's event log is what
 * a user reads first when something goes wrong, so each names what happened and why.
 */
export type EventName =
  | 'STATE_TRANSITION_IS_NEEDED'
  | 'STATE_TRANSITION_IS_COMPLETED'
  | 'TRANSITIONED_TO_FINISHED_STATE'
  | 'CREATING_A_NEW_JOB'
  | 'JOB_SUCCESSFULLY_STARTED'
  | 'JOB_SUCCESSFULLY_FINISHED'
  | 'FOUND_A_JOB_TO_TERMINATE'
  | 'TERMINATING_A_JOB_DUE_TO_AN_UNRECOVERABLE_FAILURE'
  | 'TOO_MANY_FAILED_JOB_CREATION_ATTEMPTS'
  | 'USING_AN_UPGRADE_STRATEGY'
  | 'CREATING_A_SAVEPOINT_BEFORE_SUSPENSION'
  | 'SUCCESSFULLY_TRIGGERED_A_SAVEPOINT'
  | 'RECOVERABLE_FAILURE_WHILE_TRIGGERING_A_SAVEPOINT'
  | 'AN_UNRECOVERABLE_FAILURE_WHILE_TAKING_A_SAVEPOINT'
  | 'FOUND_A_COMPLETED_SAVEPOINT_READY_FOR_SUSPENSION'
  | 'TRANSITIONED_TO_COMPLETED'
  | 'TRANSITIONING_TO_FAILED_STATE_BECAUSE_SAVEPOINT_FAILED_IN_FLINK'
  | 'JOB_IS_NOT_CONFIGURED_WITH_SAVEPOINT_SUPPORT'
  | 'GENERAL_FAILURE';

/** An event to record: what happened, in words, and the job it concerns. */
export interface EventDraft {
  name: EventName;
  message: string;
  jobId?: string;
  /** A failure (Kubernetes' Warning type); else Normal. */
  warning?: boolean;
}

/** How many events a Deployment keeps: the oldest beyond this go as new ones are recorded. */
export const MAX_EVENTS_PER_DEPLOYMENT = 200;
/**
 * A Deployment's events are counted, and trimmed once every this many: finding its oldest
 * is a list that kube-apiserver answers by filtering every event of the platform namespace (a
 * label selector is not an index), so a list per recorded event made each step cost in
 * proportion to the installation. Trimmed to this many below the bound, so the bound holds.
 */
export const TRIM_EVERY = 20;
/** How long a Deployment's event count is kept after its last event: a lost count only delays a trim. */
const COUNT_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** Kubernetes keeps an event's message short; a longer one is cut. */
const MAX_MESSAGE = 1000;
const EVENT_ID = `${API_GROUP}/event-id`;
const CREATED_AT = `${API_GROUP}/created-at`;

/**
 * A Deployment's event as a Kubernetes Event on its FlinkDeployment: `kubectl describe` shows
 * it too, the owner reference removes it with the Deployment, and its labels select it by
 * vNamespace, Deployment and Job. The VVP id and the millisecond time are annotations.
 */
export function kubernetesEvent(d: DeploymentResource, draft: EventDraft, id: string, at: string): CoreV1Event {
  const { name, namespace, uid } = d.metadata;
  return {
    metadata: {
      name: `${name}.${id}`,
      namespace,
      labels: {
        [LABELS.vnamespace]: d.spec.metadata.namespace,
        [LABELS.deploymentId]: d.spec.metadata.id,
        ...(draft.jobId ? { [LABELS.jobId]: draft.jobId } : {}),
      },
      annotations: { [EVENT_ID]: id, [CREATED_AT]: at },
      ...ownedByDeployment(d.metadata),
    },
    involvedObject: { apiVersion: FLINK_DEPLOYMENTS.apiVersion, kind: FLINK_DEPLOYMENTS.kind, name, namespace, ...(uid ? { uid } : {}) },
    reason: draft.name,
    message: draft.message.length > MAX_MESSAGE ? `${draft.message.slice(0, MAX_MESSAGE - 1)}…` : draft.message,
    type: draft.warning ? 'Warning' : 'Normal',
    source: { component: 'sluice' },
    firstTimestamp: new Date(at),
    lastTimestamp: new Date(at),
    count: 1,
  };
}

const createdAtOf = (e: CoreV1Event) => e.metadata.annotations?.[CREATED_AT] ?? e.firstTimestamp?.toISOString() ?? '';

/** An event as VVP's API shows it. */
export function eventView(e: CoreV1Event) {
  const labels = e.metadata.labels ?? {};
  const jobId = labels[LABELS.jobId];
  return {
    kind: 'Event' as const,
    apiVersion: 'v1' as const,
    metadata: {
      id: e.metadata.annotations?.[EVENT_ID] ?? e.metadata.uid ?? '',
      name: e.reason ?? 'GENERAL_FAILURE',
      namespace: labels[LABELS.vnamespace] ?? '',
      deploymentId: labels[LABELS.deploymentId] ?? '',
      ...(jobId ? { jobId } : {}),
      createdAt: createdAtOf(e),
      resourceVersion: 1,
    },
    spec: { message: e.message ?? '' },
  };
}

/** The events to delete so that at most `max` remain, the newest kept (by creation time, then name). */
export function eventsBeyond(events: readonly CoreV1Event[], max = MAX_EVENTS_PER_DEPLOYMENT): CoreV1Event[] {
  if (events.length <= max) return [];
  const oldestFirst = [...events].sort(
    (a, b) => createdAtOf(a).localeCompare(createdAtOf(b)) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
  return oldestFirst.slice(0, events.length - max);
}

/** Whether recording events that took a Deployment's count from `before` to `after` is due a trim. */
export function trimDue(before: number, after: number, every = TRIM_EVERY): boolean {
  return Math.floor(after / every) > Math.floor(before / every);
}

/** Oldest first, as VVP lists them. */
const byTime = (a: CoreV1Event, b: CoreV1Event) =>
  createdAtOf(a).localeCompare(createdAtOf(b)) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

let lastMs = 0;
/** Now, but always later than the last time this process gave. */
function monotonicNow(): string {
  lastMs = Math.max(Date.now(), lastMs + 1);
  return new Date(lastMs).toISOString();
}

/** Deployments' event logs, stored as Kubernetes Events in the platform namespace. */
export class EventLog {
  constructor(
    readonly kube: Kube,
    readonly namespace: string,
  ) {}

  /**
   * Records events (one already recorded under its id is kept) and, once every TRIM_EVERY
   * (counted in `store`), drops the Deployment's oldest down to TRIM_EVERY below the bound: at
   * most MAX_EVENTS_PER_DEPLOYMENT remain. Each gets its own millisecond, so a batch lists in its order.
   */
  async record(d: DeploymentResource, events: readonly { draft: EventDraft; id: string }[], store: CoordinationStore): Promise<void> {
    if (events.length === 0) return;
    for (const { draft, id } of events) {
      try {
        await this.kube.api<CoreV1Event>(EVENTS).create({ namespace: this.namespace, body: kubernetesEvent(d, draft, id, monotonicNow()) });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
    const after = await store.count(`events:${d.spec.metadata.id}`, events.length, COUNT_TTL_MS);
    if (!trimDue(after - events.length, after)) return;
    const all = await this.#list(`${LABELS.deploymentId}=${d.spec.metadata.id}`);
    for (const old of eventsBeyond(all, MAX_EVENTS_PER_DEPLOYMENT - TRIM_EVERY)) {
      await this.kube
        .api<CoreV1Event>(EVENTS)
        .delete({ namespace: this.namespace, name: old.metadata.name! })
        .catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
    }
  }

  /** A vNamespace's events, optionally of one Deployment and/or Job, oldest first, in VVP's shape. */
  async list(vns: string, filter: { deploymentId?: string; jobId?: string } = {}) {
    const selector = [
      `${LABELS.vnamespace}=${vns}`,
      ...(filter.deploymentId ? [`${LABELS.deploymentId}=${filter.deploymentId}`] : []),
      ...(filter.jobId ? [`${LABELS.jobId}=${filter.jobId}`] : []),
    ].join(',');
    return (await this.#list(selector)).sort(byTime).map(eventView);
  }

  async #list(labelSelector: string): Promise<CoreV1Event[]> {
    return (await this.kube.api<CoreV1Event>(EVENTS).list({ namespace: this.namespace, labelSelector })).items;
  }
}
