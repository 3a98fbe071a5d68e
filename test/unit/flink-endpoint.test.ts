import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { FlinkUnreachable, jobManagerEndpoint } from '../../shared/vvp/flink-rest.js';

const job = { namespace: 'jobs', jobId: 'j1' };
const pod = (component: string, opts: { ip?: string; phase?: string; jobId?: string; deleting?: boolean; port?: number } = {}): V1Pod => ({
  metadata: {
    name: `${component}-${opts.ip ?? 'none'}`,
    labels: { jobId: opts.jobId ?? 'j1', component },
    ...(opts.deleting ? { deletionTimestamp: new Date() } : {}),
  },
  spec: { containers: [{ name: 'flink', ...(opts.port ? { ports: [{ name: 'rest', containerPort: opts.port }] } : {}) }] },
  status: { phase: opts.phase ?? 'Running', ...(opts.ip ? { podIP: opts.ip } : {}) },
});

describe('jobManagerEndpoint: the JobManager among pods a step already listed', () => {
  it("takes the running JobManager's IP and rest port, not a TaskManager's", () => {
    expect(jobManagerEndpoint([pod('taskmanager', { ip: '10.0.0.2' }), pod('jobmanager', { ip: '10.0.0.1', port: 9091 })], job)).toBe(
      'http://10.0.0.1:9091',
    );
  });

  it("defaults to Flink's REST port and brackets an IPv6 address", () => {
    expect(jobManagerEndpoint([pod('jobmanager', { ip: 'fd00::1' })], job)).toBe('http://[fd00::1]:8081');
  });

  it('skips a JobManager being deleted, not running, without an IP, or of another job', () => {
    const pods = [
      pod('jobmanager', { ip: '10.0.0.1', deleting: true }),
      pod('jobmanager', { ip: '10.0.0.2', phase: 'Pending' }),
      pod('jobmanager'),
      pod('jobmanager', { ip: '10.0.0.4', jobId: 'other' }),
    ];
    expect(() => jobManagerEndpoint(pods, job)).toThrow(FlinkUnreachable);
    expect(jobManagerEndpoint([...pods, pod('jobmanager', { ip: '10.0.0.5' })], job)).toBe('http://10.0.0.5:8081');
  });
});
