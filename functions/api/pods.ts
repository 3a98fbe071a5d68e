import type { V1Pod } from '@kubernetes/client-node';
import type { Hono } from 'hono';
import { type ApiEnv, allow } from './auth.js';
import { respond } from './http.js';
import type { ApiDeps } from './index.js';
import { PODS } from '../../shared/kube/resources.js';

/** What the console shows of one pod of a Deployment's jobs. */
export interface PodView {
  name: string;
  phase: string;
  ready: boolean;
  component: string;
  jobId?: string;
}

export function podView(pod: V1Pod): PodView {
  const labels = pod.metadata?.labels ?? {};
  const ready = (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  return {
    name: pod.metadata?.name ?? '',
    // A pod being deleted still reports its last phase; say what is happening instead.
    phase: pod.metadata?.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Pending'),
    ready,
    component: labels.component ?? '',
    ...(labels.jobId ? { jobId: labels.jobId } : {}),
  };
}

/**
 * GET /api/v1/namespaces/{ns}/deployments/{idOrName}/pods: the phases of the pods that run
 * the Deployment's jobs (labelled `deploymentId=<id>`, as VVP labels them) in its target's Kubernetes
 * namespace. Read-only, authorized like reading the Deployment. Not a VVP path: the web
 * console uses it.
 */
export function podRoutes(app: Hono<ApiEnv>, { ctx, platform, namespaces }: ApiDeps) {
  app.get('/api/v1/namespaces/:ns/deployments/:id/pods', async (c) => {
    const vns = c.req.param('ns');
    await allow(c, namespaces, vns, 'deployments', 'read');
    const deployment = await platform.getDeployment(vns, c.req.param('id'));
    const namespace = deployment.status?.sluice?.effective?.targetNamespace;
    // Not yet resolved (or its patch set failed): no pods can exist yet.
    if (!namespace) return respond(c, { items: [] });
    const pods = await ctx.kube.api<V1Pod>(PODS).list({ namespace, labelSelector: `deploymentId=${deployment.spec.metadata.id}` });
    const items = pods.items.map(podView).sort((a, b) => a.name.localeCompare(b.name));
    return respond(c, { items });
  });
}
