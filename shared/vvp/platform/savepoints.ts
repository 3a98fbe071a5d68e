import { randomUUID } from 'node:crypto';
import { LABELS, savepointObjectName } from '../../model/naming.js';
import { BadInput } from '../../runtime/errors.js';
import type { DeploymentResource, SavepointResource } from '../../model/index.js';
import { validateSavepoint } from '../input.js';
import { savepointDirectoryOf } from '../savepoint-directory.js';
import { savepointRecord } from '../savepoint-record.js';
import { type PlatformResources, UUID, checkNamespace, notFound, now } from './common.js';

/** VVP's Savepoint operations: records of savepoints that exist, and savepoints taken on request. */
export class Savepoints {
  constructor(private readonly crs: PlatformResources) {}

  /** A vNamespace's Savepoints (optionally of one Deployment, of one Job), oldest first. */
  async list(vns: string, deploymentId?: string, jobId?: string): Promise<SavepointResource[]> {
    const all = await this.crs.savepoints.list(
      `${LABELS.vnamespace}=${vns}${deploymentId ? `,${LABELS.deploymentId}=${deploymentId}` : ''}`,
    );
    const items = jobId ? all.filter((s) => s.spec.spec.jobId === jobId.toLowerCase()) : all;
    return items.sort(
      (a, b) => a.spec.metadata.createdAt.localeCompare(b.spec.metadata.createdAt) || a.spec.metadata.id.localeCompare(b.spec.metadata.id),
    );
  }

  async get(vns: string, id: string): Promise<SavepointResource> {
    const sp = UUID.test(id) ? await this.crs.savepoints.get(savepointObjectName(vns, id)) : undefined;
    if (!sp || sp.spec.metadata.namespace !== vns) throw notFound('savepoint', id, vns);
    return sp;
  }

  /** A vNamespace's Deployment by id, for a Savepoint that names it (422 when there is none: the field is at fault). */
  async #savepointDeployment(vns: string, deploymentId: string): Promise<DeploymentResource> {
    const deployment = (await this.crs.deployments.list(`${LABELS.vnamespace}=${vns},${LABELS.id}=${deploymentId}`))[0];
    if (!deployment || deployment.spec.metadata.namespace !== vns) {
      throw new BadInput(
        `metadata.deploymentId: deployment ${deploymentId} not found in namespace ${vns}; a savepoint can only belong to a deployment of its own namespace`,
        422,
      );
    }
    return deployment;
  }

  /**
   * POST, as VVP takes it. With `spec.savepointLocation`: records a savepoint that exists
   * already, e.g. to restore a Deployment from it (the operator's initialSavepointSpec goes
   * through here too): the origin as given, else COPIED; COMPLETED at once (the location is
   * the caller's word). Without one, `metadata.deploymentId` asks for a savepoint of that
   * Deployment's running job (origin USER_REQUEST): recorded STARTED, then taken by
   * deploymentStep through Flink's REST API, the job left running.
   */
  async create(vns: string, body: unknown): Promise<SavepointResource> {
    const input = validateSavepoint(body);
    checkNamespace(input.metadata, vns);
    const meta = input.metadata ?? {};
    const location = input.spec?.savepointLocation;
    if (location === undefined) {
      if (!meta.deploymentId) {
        throw new BadInput(
          'metadata.deploymentId: required to take a savepoint (or give spec.savepointLocation to record one that exists)',
        );
      }
      if (meta.origin !== undefined && meta.origin !== 'USER_REQUEST') {
        throw new BadInput(`metadata.origin: a savepoint taken on request is USER_REQUEST, not ${meta.origin}`);
      }
      return this.#requestSavepoint(vns, meta.deploymentId, meta.jobId, meta.annotations ?? {});
    }
    const { deploymentId, jobId } = meta;
    const deployment = deploymentId ? await this.#savepointDeployment(vns, deploymentId) : undefined;
    if (jobId) {
      const job = await this.crs.jobs.get(`${vns}.${jobId.toLowerCase()}`);
      if (!job || job.spec.metadata.namespace !== vns)
        throw new BadInput(`metadata.jobId: job ${jobId} not found in namespace ${vns}`, 422);
      if (deploymentId && job.spec.spec.deploymentId !== deploymentId) {
        throw new BadInput(
          `metadata.jobId: job ${jobId} belongs to deployment ${job.spec.spec.deploymentId}, not to metadata.deploymentId ${deploymentId}`,
          422,
        );
      }
    }
    const id = randomUUID();
    const cr = savepointRecord({
      vns,
      id,
      namespace: this.crs.settings.platformNamespace,
      deployment,
      annotations: meta.annotations ?? {},
      spec: {
        savepointLocation: location,
        ...(input.spec?.flinkSavepointId !== undefined ? { flinkSavepointId: input.spec.flinkSavepointId } : {}),
        ...(deploymentId ? { deploymentId } : {}),
        ...(jobId ? { jobId } : {}),
        savepointOrigin: meta.origin ?? 'COPIED',
      },
      now: now(),
    });
    return this.#createWithState(cr, { state: 'COMPLETED' });
  }

  /** A savepoint of the Deployment's running job, on request: refused unless a job runs and a directory is configured. */
  async #requestSavepoint(
    vns: string,
    deploymentId: string,
    jobId: string | undefined,
    annotations: Record<string, string>,
  ): Promise<SavepointResource> {
    const deployment = await this.#savepointDeployment(vns, deploymentId);
    const name = deployment.spec.metadata.name;
    const runningId = deployment.status?.sluice?.job?.id;
    const job = runningId ? await this.crs.jobs.get(`${vns}.${runningId}`) : undefined;
    if (!job || job.status?.state !== 'STARTED' || deployment.status?.state !== 'RUNNING') {
      throw new BadInput(
        `deployment ${name} has no running job (status.state is ${deployment.status?.state ?? 'unknown'}${job ? `, job ${job.spec.metadata.id} is ${job.status?.state ?? 'not started'}` : ''}): a savepoint is taken of a RUNNING deployment's job`,
        409,
      );
    }
    if (jobId && jobId.toLowerCase() !== job.spec.metadata.id) {
      throw new BadInput(
        `metadata.jobId: job ${jobId} is not the running job of deployment ${name} (that is ${job.spec.metadata.id})`,
        409,
      );
    }
    const config =
      deployment.status?.sluice?.effective?.spec?.template.spec.flinkConfiguration ?? job.spec.spec.template.spec.flinkConfiguration;
    const directory = savepointDirectoryOf(config) ?? savepointDirectoryOf(job.spec.spec.template.spec.flinkConfiguration);
    if (!directory) {
      throw new BadInput(
        `deployment ${name} has no savepoint directory: set spec.template.spec.flinkConfiguration."state.savepoints.dir" (e.g. s3://bucket/savepoints), or give Sluice a blob storage (SLUICE_BLOB_STORAGE_URI)`,
        422,
      );
    }
    const id = randomUUID();
    // Its purpose marks it as one Sluice takes (an imported USER_REQUEST savepoint has none).
    const cr = savepointRecord({
      vns,
      id,
      namespace: this.crs.settings.platformNamespace,
      deployment,
      annotations,
      spec: {
        savepointLocation: directory,
        deploymentId: deployment.spec.metadata.id,
        jobId: job.spec.metadata.id,
        savepointOrigin: 'USER_REQUEST',
      },
      purpose: `USER_REQUEST@${id}`,
      now: now(),
    });
    return this.#createWithState(cr, { state: 'STARTED' });
  }

  /** Creates the record, then its state; changes nothing when that fails (no Savepoint without a state is left behind). */
  async #createWithState(cr: SavepointResource, status: SavepointResource['status']): Promise<SavepointResource> {
    const created = await this.crs.savepoints.create(cr);
    try {
      return await this.crs.savepoints.replaceStatus({ ...created, status });
    } catch (err) {
      await this.crs.savepoints.delete(created.metadata.name).catch(() => undefined);
      throw err;
    }
  }
}
