import { Counter, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one process, served at /metrics. */
export const registry = new Registry();

export const eventsTotal = new Counter({
  name: 'sluice_events_total',
  help: 'CloudEvents answered, by function and outcome (handled, skipped, bad_input, unavailable, error)',
  labelNames: ['function', 'outcome'] as const,
  registers: [registry],
});

export const stepSeconds = new Histogram({
  name: 'sluice_step_duration_seconds',
  help: 'Time to answer one event, by function',
  labelNames: ['function'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [registry],
});
