import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLINK_ANNOTATION } from '../../shared/local/pod-simulator.js';
import { DEFAULT_FLINK_VERSION } from '../../shared/vvp/flink-config.js';
import { createTestNamespace, deleteTestNamespace } from '../bed/env.js';
import { createTarget, kubectlOk, waitCr } from '../operator/support.js';
import { examplePath } from '../support/files.js';
import { type RunningSluice, eventually, startSluice } from '../support/sluice.js';
import { jobPods } from '../savepoints/support.js';

/**
 * The operator's VvpDeployment example, applied unchanged with kubectl, run on real Flink. The
 * example names no Flink version, so it runs the default one. Its target's patch set is what
 * puts the job's pods on real Flink processes in the test bed: the same mechanism a platform
 * team uses to add pod annotations to every deployment of a target.
 */

const FETCH = fileURLToPath(new URL('../../scripts/fetch-flink.sh', import.meta.url));
const SLOW = 180_000;
const REAL = { metadata: { annotations: { [FLINK_ANNOTATION]: 'real' } } };

describe(`the operator's VvpDeployment example on real Flink ${DEFAULT_FLINK_VERSION}`, () => {
  let sluice: RunningSluice;
  let ns = '';

  beforeAll(async () => {
    execFileSync(FETCH, [DEFAULT_FLINK_VERSION], { stdio: ['ignore', 'ignore', 'inherit'] });
    ns = await createTestNamespace('real-flink-cr');
    sluice = await startSluice({ watchedNamespaces: [ns], operatorIdentity: 'vvp-real', auth: false });
    await createTarget(sluice, 'default', 'test-target', ns, {
      deploymentPatchSet: [
        { op: 'add', path: '/spec/template/spec/kubernetes', value: { jobManagerPodTemplate: REAL, taskManagerPodTemplate: REAL } },
      ],
    });
  }, SLOW);
  afterAll(async () => {
    await sluice?.stop();
    await deleteTestNamespace(ns);
  });

  const crState = (state: string) =>
    waitCr(
      sluice,
      ns,
      'test-cr',
      (c) => (c.status?.customResourceStatus?.statusState === state ? c : undefined),
      `CR status ${state}`,
      SLOW,
    );

  it(
    'runs the example once its state is set to RUNNING, Flink reporting the job RUNNING, and cancels it',
    async () => {
      await kubectlOk(['-n', ns, 'apply', '-f', examplePath('operator/vvp-deployment.yaml')]);
      await crState('CANCELLED');
      await kubectlOk([
        '-n',
        ns,
        'patch',
        'vvpdeployment',
        'test-cr',
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { deployment: { spec: { state: 'RUNNING' } } } }),
      ]);
      const cr = await crState('RUNNING');
      const jobId = (cr.status?.deploymentStatus as { running?: { jobId?: string } } | undefined)?.running?.jobId;
      expect(jobId).toMatch(/^[0-9a-f-]{36}$/);

      const flinkJob = await eventually(
        async () => {
          const jm = (await jobPods(sluice, ns, jobId!)).find(
            (p) => p.metadata?.labels?.component === 'jobmanager' && p.status?.phase === 'Running',
          );
          if (!jm?.status?.podIP) return undefined;
          const res = await fetch(`http://${jm.status.podIP}:8081/jobs/${jobId!.replace(/-/g, '')}`).catch(() => undefined);
          const job = res?.ok ? ((await res.json()) as { name?: string; state?: string }) : undefined;
          return job?.state === 'RUNNING' ? job : undefined;
        },
        'Flink reporting the job RUNNING',
        SLOW,
      );
      expect(flinkJob.name).toMatch(/TopSpeedWindowing/i);

      await kubectlOk([
        '-n',
        ns,
        'patch',
        'vvpdeployment',
        'test-cr',
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { deployment: { spec: { state: 'CANCELLED' } } } }),
      ]);
      await crState('CANCELLED');
      await eventually(async () => ((await jobPods(sluice, ns, jobId!)).length === 0 ? true : undefined), 'the pods deleted', SLOW);
    },
    SLOW * 2,
  );
});
