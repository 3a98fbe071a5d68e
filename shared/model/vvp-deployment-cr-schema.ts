/**
 * The operator's CR schema of the `VvpDeployment` custom resource, verbatim, with one repair:
 * VVP's published text lacks the brace that closes `properties.metadata` (its `spec` would
 * otherwise sit inside `metadata`, and the document would not parse). The CRD is derived
 * from this in crds.ts (`vvpDeploymentCrd`); keep this copy unedited so that it stays
 * comparable with VVP's.
 */
export const VVP_DEPLOYMENT_CR_SCHEMA: Readonly<Record<string, unknown>> = {
  type: 'object',
  required: ['metadata', 'spec', 'kind'],
  properties: {
    kind: {
      type: 'string',
      enum: ['VvpDeployment'],
    },
    metadata: {
      type: 'object',
      properties: {
        name: {
          type: 'string',
        },
        namespace: {
          type: 'string',
        },
      },
    },
    spec: {
      type: 'object',
      required: ['deployment'],
      properties: {
        initialSavepointSpec: {
          type: 'object',
          properties: {
            flinkSavepointId: {
              type: 'string',
            },
            savepointLocation: {
              type: 'string',
            },
          },
          required: ['savepointLocation'],
        },
        syncingMode: {
          type: 'string',
          enum: ['PUT', 'PATCH'],
        },
        deployment: {
          type: 'object',
          required: ['userMetadata', 'spec'],
          properties: {
            apiVersion: {
              type: 'string',
            },
            kind: {
              type: 'string',
            },
            userMetadata: {
              type: 'object',
              required: ['displayName'],
              properties: {
                annotations: {
                  type: 'object',
                  additionalProperties: {
                    type: 'string',
                  },
                },
                createdAt: {
                  type: 'string',
                  format: 'date-time',
                },
                displayName: {
                  type: 'string',
                },
                id: {
                  type: 'string',
                  format: 'uuid',
                },
                labels: {
                  type: 'object',
                  additionalProperties: {
                    type: 'string',
                  },
                },
                modifiedAt: {
                  type: 'string',
                  format: 'date-time',
                },
                name: {
                  type: 'string',
                },
                namespace: {
                  type: 'string',
                },
                resourceVersion: {
                  type: 'integer',
                  format: 'int32',
                  minimum: -2147483648,
                  maximum: 2147483647,
                },
              },
            },
            spec: {
              type: 'object',
              anyOf: [
                {
                  required: ['deploymentTargetName'],
                },
                {
                  required: ['sessionClusterName'],
                },
              ],
              required: ['template'],
              properties: {
                deploymentTargetId: {
                  type: 'string',
                  format: 'uuid',
                },
                deploymentTargetName: {
                  type: 'string',
                },
                jobFailureExpirationTime: {
                  type: 'string',
                },
                maxJobCreationAttempts: {
                  type: 'integer',
                  format: 'int32',
                  minimum: -2147483648,
                  maximum: 2147483647,
                },
                maxSavepointCreationAttempts: {
                  type: 'integer',
                  format: 'int32',
                  minimum: -2147483648,
                  maximum: 2147483647,
                },
                restoreStrategy: {
                  type: 'object',
                  properties: {
                    allowNonRestoredState: {
                      type: 'boolean',
                    },
                    kind: {
                      type: 'string',
                    },
                  },
                },
                sessionClusterName: {
                  type: 'string',
                },
                state: {
                  type: 'string',
                  enum: ['RUNNING', 'SUSPENDED', 'CANCELLED'],
                },
                template: {
                  type: 'object',
                  required: ['spec'],
                  properties: {
                    metadata: {
                      type: 'object',
                      properties: {
                        annotations: {
                          type: 'object',
                          additionalProperties: {
                            type: 'string',
                          },
                        },
                      },
                    },
                    spec: {
                      type: 'object',
                      required: ['artifact'],
                      properties: {
                        artifact: {
                          type: 'object',
                          anyOf: [
                            {
                              properties: {
                                jarUri: {
                                  type: 'string',
                                },
                                kind: {
                                  type: 'string',
                                  enum: ['JAR'],
                                },
                              },
                              required: ['kind', 'jarUri'],
                            },
                            {
                              properties: {
                                pythonArtifactUri: {
                                  type: 'string',
                                },
                                kind: {
                                  type: 'string',
                                  enum: ['PYTHON'],
                                },
                              },
                              required: ['kind', 'pythonArtifactUri'],
                            },
                            {
                              properties: {
                                sqlScript: {
                                  type: 'string',
                                },
                                kind: {
                                  type: 'string',
                                  enum: ['sqlscript'],
                                },
                              },
                              required: ['kind', 'sqlScript'],
                            },
                          ],
                          properties: {
                            additionalDependencies: {
                              type: 'array',
                              items: {
                                type: 'string',
                              },
                            },
                            additionalPythonArchives: {
                              type: 'array',
                              items: {
                                type: 'string',
                              },
                            },
                            additionalPythonLibraries: {
                              type: 'array',
                              items: {
                                type: 'string',
                              },
                            },
                            artifactKind: {
                              type: 'string',
                              enum: ['PYTHON', 'SQLSCRIPT', 'JAR', 'UNKNOWN'],
                            },
                            entryClass: {
                              type: 'string',
                            },
                            entryModule: {
                              type: 'string',
                            },
                            flinkImageRegistry: {
                              type: 'string',
                            },
                            flinkImageRepository: {
                              type: 'string',
                            },
                            flinkImageTag: {
                              type: 'string',
                            },
                            flinkVersion: {
                              type: 'string',
                            },
                            kind: {
                              type: 'string',
                            },
                            mainArgs: {
                              type: 'string',
                            },
                            uri: {
                              type: 'string',
                            },
                          },
                        },
                        flinkConfiguration: {
                          type: 'object',
                          additionalProperties: {
                            type: 'string',
                          },
                        },
                        kubernetes: {
                          type: 'object',
                          properties: {
                            jobManagerPodTemplate: {
                              type: 'object',
                              properties: {
                                metadata: {
                                  type: 'object',
                                },
                                spec: {
                                  type: 'object',
                                },
                              },
                            },
                            labels: {
                              type: 'object',
                              additionalProperties: {
                                type: 'string',
                              },
                            },
                            pods: {
                              type: 'object',
                              properties: {
                                affinity: {
                                  type: 'object',
                                },
                                annotations: {
                                  type: 'object',
                                  additionalProperties: {
                                    type: 'string',
                                  },
                                },
                                envVars: {
                                  type: 'array',
                                  items: {
                                    type: 'object',
                                    properties: {
                                      name: {
                                        type: 'string',
                                      },
                                      value: {
                                        type: 'string',
                                      },
                                      valueFrom: {
                                        type: 'object',
                                      },
                                    },
                                  },
                                },
                                imagePullSecrets: {
                                  type: 'array',
                                  items: {
                                    required: ['name'],
                                    type: 'object',
                                    properties: {
                                      name: {
                                        type: 'string',
                                      },
                                    },
                                  },
                                },
                                labels: {
                                  type: 'object',
                                  additionalProperties: {
                                    type: 'string',
                                  },
                                },
                                nodeSelector: {
                                  type: 'object',
                                  additionalProperties: {
                                    type: 'string',
                                  },
                                },
                                securityContext: {
                                  type: 'object',
                                },
                                serviceAccountName: {
                                  type: 'string',
                                },
                                tolerations: {
                                  type: 'array',
                                  items: {
                                    type: 'object',
                                  },
                                },
                                volumeMounts: {
                                  type: 'array',
                                  items: {
                                    type: 'object',
                                    properties: {
                                      name: {
                                        type: 'string',
                                      },
                                      volume: {
                                        type: 'object',
                                      },
                                      volumeMount: {
                                        type: 'object',
                                      },
                                    },
                                  },
                                },
                              },
                            },
                            taskManagerPodTemplate: {
                              type: 'object',
                              properties: {
                                metadata: {
                                  type: 'object',
                                },
                                spec: {
                                  type: 'object',
                                },
                              },
                            },
                          },
                        },
                        latestCheckpointFetchInterval: {
                          type: 'integer',
                          format: 'int32',
                          minimum: -2147483648,
                          maximum: 2147483647,
                        },
                        logging: {
                          type: 'object',
                          properties: {
                            log4j2ConfigurationTemplate: {
                              type: 'string',
                            },
                            log4jLoggers: {
                              type: 'object',
                              additionalProperties: {
                                type: 'string',
                              },
                            },
                            loggingProfile: {
                              type: 'string',
                            },
                          },
                        },
                        numberOfTaskManagers: {
                          type: 'integer',
                          format: 'int32',
                          minimum: -2147483648,
                          maximum: 2147483647,
                        },
                        parallelism: {
                          type: 'integer',
                          format: 'int32',
                          minimum: -2147483648,
                          maximum: 2147483647,
                        },
                        resources: {
                          type: 'object',
                          additionalProperties: {
                            required: ['cpu', 'memory'],
                            type: 'object',
                            properties: {
                              cpu: {
                                minimum: 0.1,
                                type: 'number',
                                format: 'double',
                                maximum: 1.7976931348623157e308,
                              },
                              memory: {
                                type: 'string',
                              },
                            },
                          },
                        },
                      },
                    },
                  },
                },
                upgradeStrategy: {
                  type: 'object',
                  properties: {
                    kind: {
                      type: 'string',
                    },
                  },
                },
              },
            },
            status: {
              type: 'object',
              properties: {
                running: {
                  type: 'object',
                  properties: {
                    conditions: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          lastTransitionTime: {
                            type: 'string',
                            format: 'date-time',
                          },
                          lastUpdateTime: {
                            type: 'string',
                            format: 'date-time',
                          },
                          message: {
                            type: 'string',
                          },
                          reason: {
                            type: 'string',
                          },
                          status: {
                            type: 'string',
                            enum: ['True', 'False', 'Unknown'],
                          },
                          type: {
                            type: 'string',
                          },
                        },
                      },
                    },
                    jobId: {
                      type: 'string',
                      format: 'uuid',
                    },
                    transitionTime: {
                      type: 'string',
                      format: 'date-time',
                    },
                  },
                },
                state: {
                  type: 'string',
                  enum: ['RUNNING', 'SUSPENDED', 'CANCELLED', 'TRANSITIONING', 'FAILED', 'FINISHED'],
                },
              },
            },
          },
        },
      },
    },
  },
  $schema: 'http://json-schema.org/draft-04/schema#',
};
