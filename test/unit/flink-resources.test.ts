import type { V1Deployment, V1Job, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { JobResource } from '../../shared/vvp/crs.js';
import {
  childObjects,
  flinkConfiguration,
  image,
  jobManagerArgs,
  memoryMiB,
  mergePodTemplate,
  parentConfigMap,
  splitArgs,
  taskManagerCount,
} from '../../shared/vvp/flink-resources.js';
import { labelValue } from '../../shared/model/naming.js';
import { deployment, jobOf, withEffective } from './fixtures.js';
import { planDeployment } from '../../functions/deploymentStep/logic.js';

function topSpeedWindowingJob(templateSpec: Record<string, unknown> = {}, name = 'TopSpeedWindowing'): JobResource {
  const d = withEffective(deployment());
  d.spec.metadata.name = name;
  const write = planDeployment(d, undefined, 'now').actions[0]!;
  const job = jobOf({ ...d, status: write.type === 'writeStatus' ? write.status : d.status });
  job.spec.spec.template.spec = { ...job.spec.spec.template.spec, ...templateSpec };
  return job;
}

describe('the Kubernetes objects of a job', () => {
  const job = topSpeedWindowingJob();
  const id = job.spec.metadata.id;
  const [service, jm, tm] = childObjects(job, 'parent-uid') as [V1Service, V1Job, V1Deployment];

  it('names them job-<jobId>-jobmanager / -taskmanager in the target namespace, owned by the parent ConfigMap', () => {
    const parent = parentConfigMap(job);
    expect(parent.metadata).toMatchObject({ name: `job-${id}`, namespace: 'vvp-jobs-team-1' });
    expect(jm.metadata?.name).toBe(`job-${id}-jobmanager`);
    expect(service.metadata?.name).toBe(`job-${id}-jobmanager`);
    expect(tm.metadata?.name).toBe(`job-${id}-taskmanager`);
    for (const o of [service, jm, tm]) {
      expect(o.metadata?.namespace).toBe('vvp-jobs-team-1');
      expect(o.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'ConfigMap', name: `job-${id}`, uid: 'parent-uid', controller: true })]);
    }
  });

  it("labels every pod with exactly VVP's job pod labels (plus the component)", () => {
    const expected = {
      app: 'flink-job',
      system: 'ververica-platform',
      vvpNamespace: 'vvp-namespace-1',
      deploymentId: job.spec.spec.deploymentId,
      deploymentName: 'topspeedwindowing',
      jobId: id,
    };
    expect(jm.spec?.template.metadata?.labels).toEqual({ ...expected, component: 'jobmanager' });
    expect(tm.spec?.template.metadata?.labels).toEqual({ ...expected, component: 'taskmanager' });
  });

  it('normalises the deployment name as VVP does', () => {
    expect(labelValue('My Deployment Name')).toBe('my-deployment-name');
    expect(labelValue('--A__b  c--')).toBe('a-b-c');
    expect(labelValue('x'.repeat(80))).toHaveLength(63);
    const labels = (childObjects(topSpeedWindowingJob({}, 'My Deployment Name'), 'u')[1] as V1Job).spec?.template.metadata?.labels;
    expect(labels?.deploymentName).toBe('my-deployment-name');
  });

  it('takes CPU and memory from spec.resources and the image from registry/repository/tag', () => {
    const c = jm.spec!.template.spec!.containers[0]!;
    expect(c.image).toBe('registry.platform.data-artisans.net/v2.0/flink:1.9.1-stream1-scala_2.12');
    expect(c.resources).toEqual({ requests: { cpu: '0.5', memory: '1024Mi' }, limits: { cpu: '0.5', memory: '1024Mi' } });
    expect(tm.spec?.replicas).toBe(1);
    expect(jm.spec?.backoffLimit).toBe(0);
    expect(image({ artifact: { kind: 'JAR', flinkVersion: '1.19' } })).toBe('flink:1.19');
  });

  it('fetches the jar into usrlib and runs application mode with a fixed Flink job id', () => {
    const init = jm.spec!.template.spec!.initContainers![0]!;
    expect(init.command?.[2]).toContain("wget -q -O '/opt/flink/usrlib/flink-examples-streaming_2.12-1.9.1-TopSpeedWindowing.jar'");
    expect(jobManagerArgs(job)).toEqual(['standalone-job', '--job-id', id.replace(/-/g, '')]);
  });

  it.each([
    [{ kind: 'JAR', jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar', entryClass: 'org.Example', mainArgs: '--a 1 "two words"' }, ['--job-classname', 'org.Example', '--a', '1', 'two words']],
    [{ kind: 'PYTHON', pythonArtifactUri: 's3://b/job.py' }, ['--job-classname', 'org.apache.flink.client.python.PythonDriver', '-py', '/opt/flink/usrlib/job.py']],
    [{ kind: 'PYTHON', pythonArtifactUri: 's3://b/lib.zip', entryModule: 'jobs.main' }, ['--job-classname', 'org.apache.flink.client.python.PythonDriver', '-pym', 'jobs.main']],
    [{ kind: 'SQLSCRIPT', sqlScript: 'SELECT 1;' }, ['--job-classname', 'org.apache.flink.table.client.SqlRunner', '/opt/flink/usrlib/script.sql']],
  ])('turns artifact %o into application-mode arguments', (artifact, tail) => {
    const args = jobManagerArgs(topSpeedWindowingJob({ artifact }));
    expect(args.slice(0, 3)).toEqual(['standalone-job', '--job-id', expect.stringMatching(/^[0-9a-f]{32}$/)]);
    expect(args.slice(3)).toEqual(tail);
  });

  it('passes a restore savepoint', () => {
    const j = topSpeedWindowingJob();
    j.spec.spec.restore = { location: 's3://b/sp-1', allowNonRestoredState: true };
    expect(jobManagerArgs(j)).toContain('--fromSavepoint');
    expect(jobManagerArgs(j).slice(3)).toEqual(['--fromSavepoint', 's3://b/sp-1', '--allowNonRestoredState']);
  });

  it('puts the SQL script into the parent ConfigMap', () => {
    expect(parentConfigMap(topSpeedWindowingJob({ artifact: { kind: 'SQLSCRIPT', sqlScript: 'SELECT 1;' } })).data?.['script.sql']).toBe('SELECT 1;');
  });

  it('writes the Flink configuration, the user entries winning', () => {
    const conf = flinkConfiguration(topSpeedWindowingJob({ flinkConfiguration: { 'state.checkpoints.dir': 's3://my-bucket/checkpoints', 'parallelism.default': '7' } }));
    expect(conf).toMatchObject({
      'jobmanager.rpc.address': `job-${id}-jobmanager`,
      'jobmanager.memory.process.size': '1024m',
      'state.checkpoints.dir': 's3://my-bucket/checkpoints',
      'parallelism.default': '7',
    });
    expect(parentConfigMap(job).data?.['flink-conf.yaml']).toContain('jobmanager.memory.process.size: "1024m"');
  });

  it('sizes TaskManagers from the parallelism and slots unless given', () => {
    expect(taskManagerCount({ artifact: { kind: 'JAR' }, parallelism: 4 })).toBe(4);
    expect(taskManagerCount({ artifact: { kind: 'JAR' }, parallelism: 4, flinkConfiguration: { 'taskmanager.numberOfTaskSlots': '2' } })).toBe(2);
    expect(taskManagerCount({ artifact: { kind: 'JAR' }, parallelism: 4, numberOfTaskManagers: 3 })).toBe(3);
  });

  it('parses Flink memory sizes (binary units)', () => {
    expect(memoryMiB('1G')).toBe(1024);
    expect(memoryMiB('1536m')).toBe(1536);
    expect(memoryMiB('1.5g')).toBe(1536);
    expect(memoryMiB('2Gi')).toBe(2048);
    expect(() => memoryMiB('lots')).toThrow(/invalid memory size 'lots'/);
  });

  it('applies kubernetes.pods settings and the pod templates', () => {
    const j = topSpeedWindowingJob({
      kubernetes: {
        pods: {
          labels: { team: 'one', app: 'hijack' },
          annotations: { 'prometheus.io/scrape': 'true' },
          nodeSelector: { pool: 'flink' },
          tolerations: [{ key: 'flink', operator: 'Exists' }],
          serviceAccountName: 'flink-sa',
          imagePullSecrets: [{ name: 'regcred' }],
          envVars: [{ name: 'A', value: '1' }],
          volumeMounts: [{ name: 'data', volume: { emptyDir: {} }, volumeMount: { mountPath: '/data' } }],
          securityContext: { runAsUser: 9999 },
        },
        taskManagerPodTemplate: { spec: { containers: [{ name: 'flink-taskmanager', env: [{ name: 'B', value: '2' }] }, { name: 'sidecar', image: 'busybox' }] } },
      },
    });
    const [, jm2, tm2] = childObjects(j, 'u') as [V1Service, V1Job, V1Deployment];
    const podSpec = jm2.spec!.template.spec!;
    expect(jm2.spec!.template.metadata?.labels).toMatchObject({ team: 'one', app: 'flink-job' });
    expect(jm2.spec!.template.metadata?.annotations).toEqual({ 'prometheus.io/scrape': 'true' });
    expect(podSpec).toMatchObject({ nodeSelector: { pool: 'flink' }, serviceAccountName: 'flink-sa', imagePullSecrets: [{ name: 'regcred' }], securityContext: { runAsUser: 9999 } });
    expect(podSpec.tolerations).toEqual([{ key: 'flink', operator: 'Exists' }]);
    expect(podSpec.containers[0]!.env).toContainEqual({ name: 'A', value: '1' });
    expect(podSpec.containers[0]!.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(podSpec.volumes).toContainEqual({ name: 'data', emptyDir: {} });
    const tmContainers = tm2.spec!.template.spec!.containers;
    expect(tmContainers.map((c) => c.name)).toEqual(['flink-taskmanager', 'sidecar']);
    expect(tmContainers[0]!.env).toContainEqual({ name: 'B', value: '2' });
    expect(tmContainers[0]!.env).toContainEqual({ name: 'A', value: '1' });
  });

  it("keeps VVP's labels even when a pod template tries to override them", () => {
    const merged = mergePodTemplate({ metadata: { labels: { jobId: 'x' } }, spec: { containers: [] } }, { metadata: { labels: { jobId: 'evil', extra: 'y' } } }, { jobId: 'x' });
    expect(merged.metadata?.labels).toEqual({ jobId: 'x', extra: 'y' });
  });

  it('splits mainArgs like a shell', () => {
    expect(splitArgs(`--input 'a b' --n 3 "c d"`)).toEqual(['--input', 'a b', '--n', '3', 'c d']);
    expect(splitArgs(undefined)).toEqual([]);
  });
});
