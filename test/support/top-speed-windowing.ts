/** VVP's TopSpeedWindowing example deployment, as the REST API takes it, under another name. */
export function topSpeedWindowingBody(
  vns: string,
  name: string,
  targetId: string,
  state: 'RUNNING' | 'CANCELLED' | 'SUSPENDED' = 'RUNNING',
) {
  return {
    metadata: { name, namespace: vns },
    spec: {
      state,
      upgradeStrategy: { kind: 'STATELESS' as const },
      restoreStrategy: { kind: 'LATEST_SAVEPOINT' as const },
      deploymentTargetId: targetId,
      template: {
        spec: {
          artifact: {
            kind: 'JAR' as const,
            jarUri:
              'https://repo1.maven.org/maven2/org/apache/flink/flink-examples-streaming_2.12/1.9.1/flink-examples-streaming_2.12-1.9.1-TopSpeedWindowing.jar',
            flinkVersion: '1.9',
            flinkImageRegistry: 'registry.platform.data-artisans.net/v2.0',
            flinkImageRepository: 'flink',
            flinkImageTag: '1.9.1-stream1-scala_2.12',
          },
          parallelism: 1,
          resources: { jobmanager: { cpu: 0.5, memory: '1G' }, taskmanager: { cpu: 0.5, memory: '1G' } },
        },
      },
    },
  };
}
