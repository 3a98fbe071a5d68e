import { LABELS } from '../../model/naming.js';
import type { JobResource } from '../../model/index.js';
import { type PlatformResources, UUID, notFound } from './common.js';

/** VVP's Job operations (read-only: deploymentStep creates Jobs). */
export class Jobs {
  constructor(private readonly crs: PlatformResources) {}

  async list(vns: string, deploymentId?: string): Promise<JobResource[]> {
    return this.crs.jobs.list(`${LABELS.vnamespace}=${vns}${deploymentId ? `,${LABELS.deploymentId}=${deploymentId}` : ''}`);
  }

  async get(vns: string, id: string): Promise<JobResource> {
    const job = UUID.test(id) ? await this.crs.jobs.get(`${vns}.${id}`) : undefined;
    if (!job || job.spec.metadata.namespace !== vns) throw notFound('job', id, vns);
    return job;
  }
}
