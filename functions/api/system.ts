import type { Hono } from 'hono';
import pkg from '../../package.json' with { type: 'json' };
import type { JobResource } from '../../shared/model/index.js';
import { taskManagerCount } from '../../shared/vvp/flink-resources.js';
import type { ApiEnv } from './auth.js';
import { respond } from './http.js';
import type { ApiDeps } from './index.js';

const RUNNING_JOB_STATES = new Set(['STARTING', 'STARTED', 'TERMINATING']);

/** CPUs requested by the pods of jobs that run (JobManager + TaskManagers), as VVP's quota counts them. */
export function usedCpu(jobs: readonly JobResource[]): number {
  let cpu = 0;
  for (const job of jobs) {
    if (!RUNNING_JOB_STATES.has(job.status?.state ?? '')) continue;
    const spec = job.spec.spec.template.spec;
    cpu += (spec.resources?.jobmanager?.cpu ?? 1) + (spec.resources?.taskmanager?.cpu ?? 1) * taskManagerCount(spec);
  }
  return Math.round(cpu * 1000) / 1000;
}

/**
 * VVP's SystemInformation: the build (version from the package; the commit and build time
 * when the image was built with SLUICE_REVISION / SLUICE_BUILD_TIME), the runtime in
 * `jvmVersion` (Sluice runs on Node.js, and says so there), and the platform's resource
 * quota: unlimited (Kubernetes ResourceQuotas of the target namespaces bound it), with the
 * CPUs its running jobs use.
 */
export function systemRoutes(app: Hono<ApiEnv>, { platform }: ApiDeps) {
  app.get('/api/v1/status/system-info', async (c) => {
    const revision = process.env.SLUICE_REVISION;
    const jobs = await platform.jobs.list();
    return respond(c, {
      kind: 'SystemInformation',
      apiVersion: 'v1',
      status: {
        revisionInformation: {
          buildVersion: pkg.version,
          ...(revision ? { commitShaLong: revision, commitShaShort: revision.slice(0, 7) } : {}),
          ...(process.env.SLUICE_BUILD_TIME ? { buildTime: process.env.SLUICE_BUILD_TIME } : {}),
        },
        jvmVersion: `Node.js ${process.version}`,
        resourceQuota: {
          kind: 'ResourceQuota',
          apiVersion: 'v1',
          spec: { type: 'UNLIMITED' },
          status: { used: { cpu: usedCpu(jobs) } },
        },
      },
    });
  });
}
