/** Flink's savepoint directory setting (the classic key, or the one Flink 1.19+ prefers). */
export function savepointDirectoryOf(config: Record<string, string> | undefined): string | undefined {
  const dir = config?.['state.savepoints.dir'] ?? config?.['execution.checkpointing.savepoint-dir'];
  return dir?.trim() ? dir.trim() : undefined;
}

/** Annotation on a Savepoint that Sluice takes: its purpose, `<origin>@<what asked for it>`. */
export const PURPOSE_ANNOTATION = 'sluice.dev/savepoint-purpose';
