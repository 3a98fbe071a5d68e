import { describe, expect, it } from 'vitest';
import { classify } from '../../bench/api-requests.js';

describe('the benchmark names Kubernetes API requests as the audit log does', () => {
  it.each([
    ['GET', '/api/v1/namespaces/ns/pods?labelSelector=a%3Db', 'list', 'pods'],
    ['GET', '/api/v1/namespaces/ns/pods?watch=true&resourceVersion=5', 'watch', 'pods'],
    ['GET', '/api/v1/namespaces/ns/pods/p', 'get', 'pods'],
    ['PUT', '/api/v1/namespaces/ns/pods/p/status', 'update', 'pods/status'],
    ['PATCH', '/apis/sluice.dev/v1/namespaces/ns/flinkdeployments/d', 'patch', 'flinkdeployments'],
    ['POST', '/apis/apps/v1/namespaces/ns/deployments', 'create', 'deployments'],
    ['DELETE', '/apis/batch/v1/namespaces/ns/jobs/j', 'delete', 'jobs'],
    ['DELETE', '/apis/batch/v1/namespaces/ns/jobs?labelSelector=x', 'deletecollection', 'jobs'],
    ['GET', '/api/v1/namespaces/ns', 'get', 'namespaces'],
    ['GET', '/api/v1/namespaces', 'list', 'namespaces'],
    ['GET', '/apis', 'get', '(discovery)'],
  ])('%s %s is %s %s', (method, url, verb, resource) => {
    expect(classify(method, url)).toEqual({ verb, resource });
  });
});
