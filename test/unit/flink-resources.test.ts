import type { V1Deployment, V1Job, V1Role, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { configFileOf, entryProblem, flinkVersionOf, renderConfig } from '../../shared/vvp/flink-config.js';
import type { JobResource } from '../../shared/model/index.js';
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
  templateProblems,
} from '../../shared/vvp/flink-resources.js';
import { labelValue } from '../../shared/model/naming.js';
import { deployment, jobOf, withEffective } from './fixtures.js';
import { jobTemplate, planDeployment } from '../../functions/deploymentStep/logic.js';

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
      expect(o.metadata?.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'ConfigMap', name: `job-${id}`, uid: 'parent-uid', controller: true }),
      ]);
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
    expect(image({ artifact: { kind: 'JAR', flinkVersion: '1.19' } })).toBe('flink:1.19');
    // Never a floating `latest`: the default Flink version's official image.
    expect(image({ artifact: { kind: 'JAR' } })).toBe('flink:1.20');
  });

  it("runs the JobManager as Flink's guide does: a Job restarting it in place, ready when REST answers, logs as failure reason", () => {
    const podSpec = jm.spec!.template.spec!;
    expect(podSpec.restartPolicy).toBe('OnFailure');
    expect(jm.spec?.backoffLimit).toBeUndefined();
    expect(podSpec.containers[0]!.terminationMessagePolicy).toBe('FallbackToLogsOnError');
    expect(podSpec.containers[0]!.readinessProbe?.tcpSocket?.port).toBe(8081);
    expect(tm.spec!.template.spec!.containers[0]!.readinessProbe?.tcpSocket?.port).toBe(6122);
    // The entrypoint would write the pod's hostname as the JobManager's address into a writable conf dir.
    for (const o of [jm.spec!.template, tm.spec!.template]) {
      expect(o.spec!.containers[0]!.env).toContainEqual({ name: 'JOB_MANAGER_RPC_ADDRESS', value: `job-${id}-jobmanager` });
    }
  });

  it("fetches the jar into usrlib under the image's FLINK_HOME and runs application mode with a fixed Flink job id", () => {
    const init = jm.spec!.template.spec!.initContainers![0]!;
    // TopSpeedWindowing's example image is VVP's: FLINK_HOME /flink.
    expect(init.command?.[2]).toContain("wget -q -O '/flink/usrlib/flink-examples-streaming_2.12-1.9.1-TopSpeedWindowing.jar'");
    expect(jm.spec!.template.spec!.containers[0]!.volumeMounts).toEqual([
      { name: 'flink-config', mountPath: '/flink/conf' },
      { name: 'usrlib', mountPath: '/flink/usrlib' },
    ]);
    expect(jobManagerArgs(job)).toEqual(['standalone-job', '--job-id', id.replace(/-/g, '')]);
  });

  it("reads file:// jars of the Flink distribution from the official image's FLINK_HOME (/opt/flink)", () => {
    const official = topSpeedWindowingJob({
      artifact: { kind: 'JAR', jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar', flinkVersion: '1.20' },
    });
    const [, jm2] = childObjects(official, 'u') as [V1Service, V1Job];
    expect(jm2.spec!.template.spec!.initContainers![0]!.command).toEqual([
      'sh',
      '-c',
      "cp '/opt/flink/examples/streaming/TopSpeedWindowing.jar' '/opt/flink/usrlib/'",
    ]);
    expect(jm2.spec!.template.spec!.containers[0]!.image).toBe('flink:1.20');
    const own = topSpeedWindowingJob({ artifact: { kind: 'JAR', jarUri: "file:///jobs/it's.jar", flinkVersion: '1.20' } });
    expect((childObjects(own, 'u')[1] as V1Job).spec!.template.spec!.initContainers![0]!.command?.[2]).toBe(
      "cp '/jobs/it'\\''s.jar' '/opt/flink/usrlib/'",
    );
  });

  it.each([
    [
      {
        kind: 'JAR',
        jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar',
        entryClass: 'org.Example',
        mainArgs: '--a 1 "two words"',
      },
      ['--job-classname', 'org.Example', '--a', '1', 'two words'],
    ],
    [
      { kind: 'PYTHON', pythonArtifactUri: 'https://h/job.py' },
      ['--job-classname', 'org.apache.flink.client.python.PythonDriver', '-py', '/opt/flink/usrlib/job.py'],
    ],
    [
      { kind: 'PYTHON', pythonArtifactUri: 'https://h/lib.zip', entryModule: 'jobs.main' },
      ['--job-classname', 'org.apache.flink.client.python.PythonDriver', '-pym', 'jobs.main'],
    ],
    [
      { kind: 'SQLSCRIPT', sqlScript: 'SELECT 1;' },
      ['--job-classname', 'org.apache.flink.table.runtime.application.SqlDriver', '--scriptUri', 'file:///opt/flink/conf/script.sql'],
    ],
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
    expect(parentConfigMap(topSpeedWindowingJob({ artifact: { kind: 'SQLSCRIPT', sqlScript: 'SELECT 1;' } })).data?.['script.sql']).toBe(
      'SELECT 1;',
    );
  });

  it("writes the Flink configuration, the user entries winning, Sluice's own settings last", () => {
    const conf = flinkConfiguration(
      topSpeedWindowingJob({ flinkConfiguration: { 'state.checkpoints.dir': 's3://my-bucket/checkpoints', 'parallelism.default': '7' } }),
    );
    expect(conf).toMatchObject({
      'jobmanager.rpc.address': `job-${id}-jobmanager`,
      'jobmanager.memory.process.size': '1024m',
      'state.checkpoints.dir': 's3://my-bucket/checkpoints',
      'parallelism.default': '7',
      'rest.bind-address': '0.0.0.0',
      'rest.async.store-duration': '24 h',
    });
    expect(conf['env.java.opts.all']).toContain('--add-opens=java.base/java.util=ALL-UNNAMED');
  });

  it('writes flink-conf.yaml flat and unquoted for Flink 1.x, and log4j-console.properties', () => {
    const data = parentConfigMap(
      topSpeedWindowingJob({
        flinkConfiguration: { 'env.java.opts.all': '-Dx=1' },
        logging: { log4jLoggers: { '': 'WARN', 'org.apache.flink': 'DEBUG' } },
      }),
    ).data!;
    expect(Object.keys(data).sort()).toEqual(['flink-conf.yaml', 'log4j-console.properties']);
    const lines = data['flink-conf.yaml']!.trimEnd().split('\n');
    expect(lines).toContain('jobmanager.memory.process.size: 1024m');
    expect(lines).toContain(`jobmanager.rpc.address: job-${id}-jobmanager`);
    expect(lines.find((l) => l.startsWith('env.java.opts.all: '))).toMatch(
      /^env\.java\.opts\.all: --add-exports=java\.base\/sun\.net\.util=ALL-UNNAMED .* -Dx=1$/,
    );
    for (const l of lines) expect(l).toMatch(/^[a-z0-9.-]+: [^"'\s](.*[^\s])?$/i);
    expect(data['log4j-console.properties']).toContain('appender.console.type = CONSOLE');
    expect(data['log4j-console.properties']).toContain('rootLogger.level = WARN');
    expect(data['log4j-console.properties']).toMatch(/logger\.sluice1\.name = org\.apache\.flink\nlogger\.sluice1\.level = DEBUG/);
  });

  it('writes standard YAML config.yaml for Flink 2.x (by flinkVersion or the image tag) that reads back as the same values', () => {
    for (const artifact of [
      { kind: 'JAR', jarUri: 'https://h/j.jar', flinkVersion: '2.1' },
      { kind: 'JAR', jarUri: 'https://h/j.jar', flinkImageTag: '2.2.1-scala_2.12-java17' },
    ]) {
      const j = topSpeedWindowingJob({
        artifact,
        flinkConfiguration: { 'pipeline.name': 'a: b # c', 'execution.checkpointing.interval': '10 s', 'a.flag': 'true' },
      });
      const data = parentConfigMap(j).data!;
      expect(Object.keys(data).sort()).toEqual(['config.yaml', 'log4j-console.properties']);
      const parsed = YAML.parse(data['config.yaml']!) as Record<string, unknown>;
      const conf = flinkConfiguration(j);
      for (const [k, v] of Object.entries(conf)) expect(String(parsed[k])).toBe(v);
      expect(data['config.yaml']).toContain('jobmanager.memory.process.size: 1024m\n');
      expect(data['config.yaml']).toContain('pipeline.name: "a: b # c"\n');
      expect(conf['env.java.opts.all']).not.toContain('sun.net.util');
    }
  });

  it('refuses to write a value Flink 1.x would read differently', () => {
    expect(() => renderConfig({ 'a.b': 'x # y' }, 'flink-conf.yaml')).toThrow(/cuts a value at '#'/);
    expect(() => renderConfig({ 'a.b': 'x\ny: 1' }, 'config.yaml')).toThrow(/one line/);
    expect(() => renderConfig({ 'a b': 'x' }, 'config.yaml')).toThrow(/not a Flink option name/);
    expect(entryProblem('a.b', ' x', 'flink-conf.yaml')).toMatch(/leading and trailing spaces/);
    expect(entryProblem('a.b', ' x', 'config.yaml')).toBeUndefined();
  });

  it('picks the Flink version from flinkVersion, then the image tag, then the default 1.20', () => {
    expect(flinkVersionOf({ flinkVersion: '2.1', flinkImageTag: '1.9.1-stream1' })).toMatchObject({ major: 2, minor: 1 });
    expect(flinkVersionOf({ flinkImageTag: '1.9.1-stream1-scala_2.12' })).toEqual({ major: 1, minor: 9, patch: '1.9.1', text: '1.9' });
    expect(flinkVersionOf({ flinkImageTag: 'my-build' })).toEqual({ major: 1, minor: 20, text: '1.20' });
    expect(configFileOf(flinkVersionOf({}))).toBe('flink-conf.yaml');
  });

  it("translates VVP's high-availability: vvp-kubernetes into Flink's Kubernetes HA with the rights it needs", () => {
    const j = topSpeedWindowingJob({
      artifact: { kind: 'JAR', jarUri: 'https://h/j.jar', flinkVersion: '1.20' },
      flinkConfiguration: { 'high-availability': 'vvp-kubernetes', 'state.checkpoints.dir': 'file:///ckp/' },
    });
    const conf = flinkConfiguration(j);
    expect(conf).toMatchObject({
      'high-availability.type': 'kubernetes',
      'high-availability.storageDir': 'file:///ckp/ha',
      'kubernetes.cluster-id': `job-${id}`,
    });
    expect(conf['high-availability']).toBeUndefined();
    expect(parentConfigMap(j).data!['flink-conf.yaml']).not.toContain('vvp-kubernetes');
    const objects = childObjects(j, 'u');
    expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding', 'Service', 'Job', 'Deployment']);
    const role = objects[1] as V1Role;
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    ]);
    const [jm2, tm2] = [objects[4] as V1Job, objects[5] as V1Deployment];
    for (const t of [jm2.spec!.template, tm2.spec!.template]) expect(t.spec!.serviceAccountName).toBe(`job-${id}-flink`);
    expect(jobManagerArgs(j).slice(0, 3)).toEqual(['standalone-job', '--host', '$(POD_IP)']);
    expect(jm2.spec!.template.spec!.containers[0]!.env).toContainEqual({
      name: 'POD_IP',
      valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } },
    });
  });

  it('runs LATEST_STATE deployments with Kubernetes HA', () => {
    const template = { spec: { artifact: { kind: 'JAR' as const }, flinkConfiguration: { 'state.savepoints.dir': 'file:///sp' } } };
    expect(jobTemplate(template, 'LATEST_STATE').spec.flinkConfiguration).toEqual({
      'state.savepoints.dir': 'file:///sp',
      'high-availability.type': 'kubernetes',
    });
    expect(jobTemplate(template, 'LATEST_SAVEPOINT')).toEqual(template);
  });

  it("enables the official image's filesystem plugins for the schemes the configuration uses", () => {
    const j = topSpeedWindowingJob({
      artifact: { kind: 'JAR', jarUri: 'https://h/j.jar', flinkImageTag: '1.20.3-java17' },
      flinkConfiguration: { 'state.checkpoints.dir': 's3://b/c', 'state.savepoints.dir': 'gs://b/s' },
    });
    const env = (childObjects(j, 'u')[1] as V1Job).spec!.template.spec!.containers[0]!.env;
    expect(env).toContainEqual({ name: 'ENABLE_BUILT_IN_PLUGINS', value: 'flink-gs-fs-hadoop-1.20.3.jar;flink-s3-fs-hadoop-1.20.3.jar' });
    // Without the full version (a floating tag), the init container copies the plugin whatever its version.
    const floating = topSpeedWindowingJob({
      artifact: { kind: 'JAR', jarUri: 'https://h/j.jar', flinkVersion: '1.20' },
      flinkConfiguration: { 'state.checkpoints.dir': 's3://b/c' },
    });
    const podSpec = (childObjects(floating, 'u')[1] as V1Job).spec!.template.spec!;
    expect(podSpec.containers[0]!.env?.map((e) => e.name)).not.toContain('ENABLE_BUILT_IN_PLUGINS');
    expect(podSpec.initContainers![0]!.command?.[2]).toContain(
      'cp /opt/flink/opt/flink-s3-fs-hadoop-*.jar /sluice-plugins/flink-s3-fs-hadoop/',
    );
    expect(podSpec.containers[0]!.volumeMounts).toContainEqual({
      name: 'plugin-s3-fs-hadoop',
      mountPath: '/opt/flink/plugins/s3-fs-hadoop',
    });
    expect(podSpec.volumes).toContainEqual({ name: 'plugin-s3-fs-hadoop', emptyDir: {} });
  });

  it('takes the ports from the configuration: containers, Service, probe', () => {
    const j = topSpeedWindowingJob({
      flinkConfiguration: { 'rest.port': '9081', 'jobmanager.rpc.port': '7123', 'taskmanager.rpc.port': '7122' },
    });
    const [service, jm2, tm2] = childObjects(j, 'u') as [V1Service, V1Job, V1Deployment];
    expect(service.spec!.ports).toEqual([
      { name: 'rpc', port: 7123, targetPort: 7123 },
      { name: 'blob', port: 6124, targetPort: 6124 },
      { name: 'rest', port: 9081, targetPort: 9081 },
    ]);
    expect(jm2.spec!.template.spec!.containers[0]!.readinessProbe?.tcpSocket?.port).toBe(9081);
    expect(tm2.spec!.template.spec!.containers[0]!.ports).toEqual([{ name: 'rpc', containerPort: 7122 }]);
    expect(
      templateProblems({ artifact: { kind: 'JAR', jarUri: 'https://h/j.jar' }, flinkConfiguration: { 'blob.server.port': '6100-6200' } }),
    ).toEqual([expect.stringMatching(/blob\.server\.port: '6100-6200' must be one port/)]);
  });

  it('sizes TaskManagers from the parallelism and slots unless given', () => {
    expect(taskManagerCount({ artifact: { kind: 'JAR' }, parallelism: 4 })).toBe(4);
    expect(
      taskManagerCount({ artifact: { kind: 'JAR' }, parallelism: 4, flinkConfiguration: { 'taskmanager.numberOfTaskSlots': '2' } }),
    ).toBe(2);
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
        taskManagerPodTemplate: {
          spec: {
            containers: [
              { name: 'flink-taskmanager', env: [{ name: 'B', value: '2' }] },
              { name: 'sidecar', image: 'busybox' },
            ],
          },
        },
      },
    });
    const [, jm2, tm2] = childObjects(j, 'u') as [V1Service, V1Job, V1Deployment];
    const podSpec = jm2.spec!.template.spec!;
    expect(jm2.spec!.template.metadata?.labels).toMatchObject({ team: 'one', app: 'flink-job' });
    expect(jm2.spec!.template.metadata?.annotations).toEqual({ 'prometheus.io/scrape': 'true' });
    expect(podSpec).toMatchObject({
      nodeSelector: { pool: 'flink' },
      serviceAccountName: 'flink-sa',
      imagePullSecrets: [{ name: 'regcred' }],
      securityContext: { runAsUser: 9999 },
    });
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
    const merged = mergePodTemplate(
      { metadata: { labels: { jobId: 'x' } }, spec: { containers: [] } },
      { metadata: { labels: { jobId: 'evil', extra: 'y' } } },
      { jobId: 'x' },
    );
    expect(merged.metadata?.labels).toEqual({ jobId: 'x', extra: 'y' });
  });

  it('splits mainArgs like a shell', () => {
    expect(splitArgs(`--input 'a b' --n 3 "c d"`)).toEqual(['--input', 'a b', '--n', '3', 'c d']);
    expect(splitArgs(undefined)).toEqual([]);
  });
});
