import { describe, expect, it } from 'vitest';
import { FLINK_DEPLOYMENTS, PODS } from '../../shared/kube/resources.js';
import type { KubeObject } from '../../shared/runtime/events.js';
import { ADAPTER_PODS, adapterReady, isAdapterPod, streamName } from '../../shared/runtime/streams.js';

const FLINK_STREAM = streamName({ resource: FLINK_DEPLOYMENTS, scope: 'platform', mode: 'resource' });

/** An adapter pod as Knative's ApiServerSource controller labels it, with a Ready condition. */
function adapterPod(source: string, ready?: { status: string; at: string }, uid = 'pod-1'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `apiserversource-${source}-abc`,
      namespace: 'sluice-system',
      uid,
      labels: { 'eventing.knative.dev/source': 'apiserver-source-controller', 'eventing.knative.dev/sourceName': source },
    },
    status: { conditions: ready ? [{ type: 'Ready', status: ready.status, lastTransitionTime: ready.at }] : [] },
  };
}

describe('stream names', () => {
  it("are the generated ApiServerSources' names: resource, scope, a hash of the selector, the mode", () => {
    expect(FLINK_STREAM).toBe('sluice-src-flinkdeployments-platform');
    expect(streamName({ resource: FLINK_DEPLOYMENTS, scope: 'platform', mode: 'reference' })).toBe(
      'sluice-src-flinkdeployments-platform-ref',
    );
    // Equal selectors in another order are one stream.
    const a = streamName({ resource: PODS, scope: 'cluster', mode: 'resource', labelSelector: 'app=flink-job,system=ververica-platform' });
    expect(
      streamName({ resource: PODS, scope: 'cluster', mode: 'resource', labelSelector: 'system=ververica-platform, app=flink-job' }),
    ).toBe(a);
    expect(a).toMatch(/^sluice-src-pods-cluster-[0-9a-f]{6}$/);
  });
});

describe('an adapter pod becoming ready', () => {
  it("is an adapter pod by the controller's label, and the adapter stream selects exactly those", () => {
    expect(isAdapterPod(adapterPod(FLINK_STREAM))).toBe(true);
    expect(isAdapterPod({ ...adapterPod(FLINK_STREAM), metadata: { name: 'job-1-jobmanager', labels: { app: 'flink-job' } } })).toBe(false);
    expect(ADAPTER_PODS.labelSelector).toBe('eventing.knative.dev/source=apiserver-source-controller');
  });

  it('starts a resync of the functions it feeds, keyed by the pod and when it became ready', () => {
    const pod = adapterPod(FLINK_STREAM, { status: 'True', at: '2026-12-03T13:00:00Z' });
    expect(adapterReady(pod, [FLINK_STREAM, 'sluice-src-flinkjobs-platform'])).toEqual({
      source: FLINK_STREAM,
      key: 'pod-1/2026-12-03T13:00:00Z',
    });
  });

  it("starts none for another function's stream, a pod not ready yet, or one without a source name", () => {
    expect(adapterReady(adapterPod(FLINK_STREAM, { status: 'True', at: 't' }), ['sluice-src-flinkjobs-platform'])).toBeUndefined();
    expect(adapterReady(adapterPod(FLINK_STREAM, { status: 'False', at: 't' }), [FLINK_STREAM])).toBeUndefined();
    expect(adapterReady(adapterPod(FLINK_STREAM), [FLINK_STREAM])).toBeUndefined();
    const unnamed = adapterPod(FLINK_STREAM, { status: 'True', at: 't' });
    delete unnamed.metadata.labels!['eventing.knative.dev/sourceName'];
    expect(adapterReady(unnamed, [FLINK_STREAM])).toBeUndefined();
  });

  it("starts none for a pod going away, though its deletion's update still says Ready", () => {
    const stopping = adapterPod(FLINK_STREAM, { status: 'True', at: 't' });
    stopping.metadata.deletionTimestamp = '2026-12-03T13:05:00Z';
    expect(adapterReady(stopping, [FLINK_STREAM])).toBeUndefined();
  });

  it('is a new readiness after a restart of the same pod, or for a new pod', () => {
    const first = adapterReady(adapterPod(FLINK_STREAM, { status: 'True', at: 't1' }), [FLINK_STREAM])!;
    const restarted = adapterReady(adapterPod(FLINK_STREAM, { status: 'True', at: 't2' }), [FLINK_STREAM])!;
    const replaced = adapterReady(adapterPod(FLINK_STREAM, { status: 'True', at: 't1' }, 'pod-2'), [FLINK_STREAM])!;
    expect(new Set([first.key, restarted.key, replaced.key]).size).toBe(3);
  });
});
