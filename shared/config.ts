import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';

/**
 * The settings README's Configuration lists, from the environment, overridable by flags of the same name
 * (`--port 9090`, `--platform-namespace x`). Parsed once; everything else reads this.
 */
const booleanSwitch = z.enum(['on', 'off', 'true', 'false', '1', '0']).transform((v) => v === 'on' || v === 'true' || v === '1');

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

export const settingsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  kubeconfig: z.string().optional(),
  cluster: z.enum(['auto', 'local']).default('auto'),
  redisUrl: z.string().url().optional(),
  home: z.string().default(join(homedir(), '.sluice')),
  bootstrapToken: z.string().min(16, 'SLUICE_BOOTSTRAP_TOKEN must be at least 16 characters').optional(),
  watchedNamespaces: csv.default([]),
  operatorIdentity: z.string().min(1).default('sluice'),
  platformNamespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'SLUICE_PLATFORM_NAMESPACE must be a Kubernetes namespace name')
    .default('sluice-system'),
  auth: booleanSwitch.default(true),
  blobStorageUri: z
    .string()
    .regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/, 'SLUICE_BLOB_STORAGE_URI must be a URI such as s3://bucket/sluice or file:///var/sluice')
    .optional(),
  function: z.string().optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type Settings = z.infer<typeof settingsSchema>;

const ENV: Record<keyof Settings, string> = {
  port: 'PORT',
  kubeconfig: 'KUBECONFIG',
  cluster: 'SLUICE_CLUSTER',
  redisUrl: 'REDIS_URL',
  home: 'SLUICE_HOME',
  bootstrapToken: 'SLUICE_BOOTSTRAP_TOKEN',
  watchedNamespaces: 'SLUICE_WATCHED_NAMESPACES',
  operatorIdentity: 'SLUICE_OPERATOR_IDENTITY',
  platformNamespace: 'SLUICE_PLATFORM_NAMESPACE',
  auth: 'SLUICE_AUTH',
  blobStorageUri: 'SLUICE_BLOB_STORAGE_URI',
  function: 'SLUICE_FUNCTION',
  logLevel: 'LOG_LEVEL',
};

const flagName = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export class SettingsError extends Error {}

/** Reads settings from env and argv; throws SettingsError naming the variable at fault. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): Settings {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.keys(ENV).map((k) => [flagName(k), { type: 'string' as const }])),
    strict: true,
    allowPositionals: false,
  });
  const raw: Record<string, string | undefined> = {};
  for (const [key, variable] of Object.entries(ENV)) {
    const flag = values[flagName(key)];
    const value = typeof flag === 'string' ? flag : env[variable];
    raw[key] = value === '' ? undefined : value;
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0]) as keyof Settings;
    throw new SettingsError(`${ENV[key] ?? key} (--${flagName(key)}): ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The blob storage base URI Sluice gives every Deployment its state directories under: the
 * one configured, else in local mode a directory of SLUICE_HOME (the local cluster's jobs run
 * on this machine), else none.
 */
export function blobStorageUriOf(settings: Pick<Settings, 'blobStorageUri' | 'home'>, localCluster: boolean): string | undefined {
  if (settings.blobStorageUri) return settings.blobStorageUri.replace(/\/+$/, '');
  return localCluster ? pathToFileURL(join(settings.home, 'blob-storage')).href : undefined;
}
