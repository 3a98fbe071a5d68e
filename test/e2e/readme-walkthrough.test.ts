import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../shared/local/ports.js';
import { repoPath } from '../support/files.js';

/** The shell blocks of README.md between `<!-- walkthrough -->` and `<!-- /walkthrough -->`, in order. */
export function walkthroughCommands(readme: string): string[] {
  const section = readme.split('<!-- walkthrough -->')[1]?.split('<!-- /walkthrough -->')[0];
  if (!section) throw new Error('README.md has no walkthrough markers');
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** Runs `script` with bash in the repository, as a user would paste it; resolves with its output. */
function bash(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn('bash', ['-e', '-c', script], {
    cwd: repoPath('.'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return once(child, 'close').then(([code]) => ({ code: code as number | null, output }));
}

/**
 * README's walkthrough, exactly as written there, against `npm start` with its embedded local
 * defaults (a local cluster of its own): the quick start cannot rot without this failing.
 */
describe('the README walkthrough', () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-readme-'));
  let sluice: ChildProcess | undefined;
  afterAll(async () => {
    if (sluice?.exitCode === null) {
      // npm runs Sluice in a child process of its own: stop the whole group, as Ctrl-C does.
      process.kill(-sluice.pid!, 'SIGINT');
      await once(sluice, 'exit');
    }
    rmSync(home, { recursive: true, force: true });
  });

  it("has the walkthrough's commands", () => {
    const blocks = walkthroughCommands(readFileSync(repoPath('README.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    expect(blocks.join('\n')).toContain('examples/multitenancy/');
  });

  it('runs against npm start: two teams, a deployment to RUNNING, isolation, a suspend with a savepoint and no configuration, cancel', async () => {
    const port = await freePort();
    const token = `sluice-readme-${process.pid}-${Date.now()}`;
    const env = {
      SLUICE_HOME: home,
      SLUICE_CLUSTER: 'local',
      PORT: String(port),
      SLUICE_BOOTSTRAP_TOKEN: token,
      LOG_LEVEL: 'warn',
      REDIS_URL: '',
    };
    sluice = spawn('npm', ['start'], {
      cwd: repoPath('.'),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let startOutput = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        startOutput += chunk.toString();
        if (/^Sluice ready at /m.test(startOutput)) resolve();
      };
      sluice!.stdout!.on('data', onData);
      sluice!.stderr!.on('data', onData);
      sluice!.once('exit', (code) => reject(new Error(`npm start exited with ${code} before it was ready:\n${startOutput}`)));
    });

    const script = walkthroughCommands(readFileSync(repoPath('README.md'), 'utf8')).join('\n');
    const { code, output } = await bash(script, { VVP: `http://127.0.0.1:${port}`, TOKEN: token, SLUICE_HOME: home });
    expect(code, output).toBe(0);
    expect(output).toContain('"name":"namespaces/vvp-namespace-2"');
    expect(output).toContain('TopSpeedWindowing is RUNNING');
    expect(output).toMatch(/^job-[0-9a-f-]+-jobmanager-\S+\s+1\/1\s+Running/m);
    expect(output).toContain('team 2 reads team 1: 404');
    expect(output).toContain('team 2 reads its own: 200');
    // The suspend took a savepoint with no storage configured: local mode's blob storage.
    expect(output).toContain('TopSpeedWindowing is SUSPENDED');
    expect(output).toMatch(/^ +origin: SUSPEND$/m);
    expect(output).toMatch(/^ +state: COMPLETED$/m);
    const location = output.match(/^ +savepointLocation: (\S+)$/m)?.[1] ?? '';
    expect(location.startsWith(`${pathToFileURL(join(home, 'blob-storage')).href}/namespaces/vvp-namespace-1/deployments/`)).toBe(true);
    expect(output).toContain('TopSpeedWindowing is CANCELLED');
  }, 180_000);
});
