import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { exampleText } from '../support/files.js';

/**
 * VVP's multitenancy guide (UI steps 7–11), clicked through the web console in Debian's Chromium
 * (`apt-get install chromium`; playwright-core drives it, it never downloads a browser),
 * against single-process Sluice on the test bed's real API server. The pod simulator makes
 * the job's pods Ready, so the deployment reaches RUNNING.
 */

const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOT = join(ROOT, 'docs', 'console.png');
/** SLUICE_CONSOLE_SHOTS=<dir>: also keep a picture of every page the test visits, to look at. */
const SHOTS = process.env.SLUICE_CONSOLE_SHOTS;
const JAR =
  'https://repo1.maven.org/maven2/org/apache/flink/flink-examples-streaming_2.12/1.9.1/flink-examples-streaming_2.12-1.9.1-TopSpeedWindowing.jar';

/**
 * Runs an expression in the page (as a string: the test is compiled without DOM types).
 * `el` is the focused element.
 */
const inPage = <T>(page: Page, expr: string) => page.evaluate<T>(`(() => { const el = document.activeElement; return ${expr}; })()`);
const focused = (page: Page, prop: 'id' | 'tagName' | 'textContent') => inPage<string | undefined>(page, `el ? el.${prop} : undefined`);

/** Every form control on the page has an accessible name. */
async function expectLabelled(page: Page) {
  const unlabelled = await inPage<string[]>(
    page,
    `[...document.querySelectorAll('input, select, textarea, button')]
      .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute('aria-label') && !(c.textContent || '').trim())
      .map((c) => c.outerHTML.slice(0, 80))`,
  );
  expect(unlabelled).toEqual([]);
}

describe("web console: the multitenancy guide's steps 7–11 in a real browser", () => {
  let sluice: RunningSluice;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const secrets: Record<string, string> = {};
  /** Uncaught exceptions and console errors (a CSP violation is one) of the whole session. */
  const scriptErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no browser at ${CHROMIUM}: install Debian's Chromium (apt-get install -y chromium), or set SLUICE_CHROMIUM`);
    }
    sluice = await startSluice();
    profile = mkdtempSync(join(tmpdir(), 'sluice-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1366, height: 860 },
      deviceScaleFactor: 1,
      timeout: 60_000,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => scriptErrors.push(`uncaught: ${err.message}`));
    page.on('console', (msg) => {
      // A refused request is logged by Chromium itself; the console shows those to the user.
      if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) scriptErrors.push(msg.text());
    });
    page.setDefaultTimeout(20_000);
    // Nothing may be loaded from anywhere but Sluice itself (no CDN).
    await page.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
  }, 120_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    if (profile) rmSync(profile, { recursive: true, force: true });
    await sluice?.stop();
  });

  /** Starts from a signed-out page (whatever an earlier test left behind). */
  async function signedOut() {
    await page.goto(`${sluice.url}/#/signin`);
    await inPage(page, 'sessionStorage.clear()');
    await page.reload();
    await page.getByLabel('API token').waitFor();
  }

  async function signIn(token: string) {
    await signedOut();
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#sidebar').isVisible()).toBe(true);
  }

  async function signOut() {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
  }

  async function switchNamespace(ns: string) {
    const switcher = page.getByLabel('Namespace', { exact: true });
    // The switcher lists the namespaces when it is reached for, as a pointer or Tab does.
    await switcher.focus();
    await switcher.selectOption(ns);
    await page.waitForURL(new RegExp(`#/ns/${ns}/`));
  }

  async function shot(name: string) {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  const switcherOptions = () => page.locator('#ns-select option:not([disabled])').allTextContents();

  it('step 7: an admin adds vvp-namespace-1 and vvp-namespace-2, and owner tokens for each', { timeout: 120_000 }, async () => {
    await signIn(sluice.token);
    await nav('Namespaces').click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Namespaces');
    await expectLabelled(page);

    // A refused name is shown beside the field, in the server's words.
    await page.getByLabel('Namespace name').fill('Not_Valid');
    await page.getByRole('button', { name: 'Add namespace' }).click();
    await expect.poll(() => page.locator('#namespace-name-error').textContent()).toMatch(/^name: 'not_valid'|^name: 'Not_Valid'/);
    expect(await page.getByLabel('Namespace name').getAttribute('aria-invalid')).toBe('true');
    await shot('namespaces-error');

    for (const ns of ['vvp-namespace-1', 'vvp-namespace-2']) {
      await page.getByLabel('Namespace name').fill(ns);
      await page.getByRole('button', { name: 'Add namespace' }).click();
      await page.locator(`tr[data-namespace="${ns}"]`).waitFor();
    }
    await expect.poll(switcherOptions).toEqual(expect.arrayContaining(['default', 'vvp-namespace-1', 'vvp-namespace-2']));

    for (const [ns, team] of [
      ['vvp-namespace-1', 'team-1'],
      ['vvp-namespace-2', 'team-2'],
    ] as const) {
      await switchNamespace(ns);
      await nav('API Tokens').click();
      await page.getByLabel('Token name').fill(team);
      await page.getByLabel('Role').selectOption('owner');
      await page.getByRole('button', { name: 'Create token' }).click();
      const secret = page.getByLabel(`Secret of token ${team}`);
      await secret.waitFor();
      secrets[team] = await secret.inputValue();
      expect(secrets[team]!.length).toBeGreaterThan(16);
      await shot(`tokens-${team}`);
      await page.locator(`tr[data-token="${team}"]`).waitFor();
      expect(await page.locator(`tr[data-token="${team}"]`).textContent()).toContain('owner');
      await expectLabelled(page);
    }
    // A token can be deleted again (two presses: the first asks for confirmation).
    await page.getByLabel('Token name').fill('throwaway');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('tr[data-token="throwaway"]').waitFor();
    await page.getByRole('button', { name: 'Delete token throwaway' }).click();
    await page.getByRole('button', { name: 'Confirm: delete token throwaway' }).click();
    await page.locator('tr[data-token="throwaway"]').waitFor({ state: 'detached' });

    // The secret is shown once: after a reload the page lists the token without it.
    await page.reload();
    await page.locator('tr[data-token="team-2"]').waitFor();
    expect(await page.content()).not.toContain(secrets['team-2']);
    await signOut();
  });

  it('steps 8–10: team 1 adds its deployment target and the TopSpeedWindowing deployment, starts it, and sees it RUNNING', async () => {
    await signIn(secrets['team-1']!);
    // The switcher offers only what this token can see.
    await expect.poll(switcherOptions).toEqual(['vvp-namespace-1']);
    await page.waitForURL(/#\/ns\/vvp-namespace-1\/deployments/);

    await nav('Deployment Targets').click();
    await page.getByLabel('Deployment target name').fill('vvp-jobs-team-1');
    await page.getByLabel('Kubernetes namespace').fill('vvp-jobs-team-1');
    await page.getByRole('button', { name: 'Add deployment target' }).click();
    const targetRow = page.locator('tr[data-target="vvp-jobs-team-1"]');
    await targetRow.waitFor();
    await expect.poll(() => targetRow.locator('.badge').textContent(), { timeout: 30_000 }).toBe('READY');
    await expectLabelled(page);

    await nav('Deployments').click();
    await page.getByRole('link', { name: 'Create deployment' }).click();
    await page.getByLabel('Name', { exact: true }).fill('TopSpeedWindowing');
    await page
      .getByLabel('Deployment target', { exact: true })
      .selectOption({ label: 'vvp-jobs-team-1 (Kubernetes namespace vvp-jobs-team-1)' });
    await page.getByLabel('Jar URI').fill(JAR);
    await page.getByLabel('Flink version').fill('1.9');
    await page.getByLabel('Flink image tag').fill('1.9.1-stream1-scala_2.12');
    await page.getByLabel('CPU JobManager').fill('0.5');
    await page.getByLabel('Memory JobManager').fill('1G');
    await page.getByLabel('CPU TaskManager').fill('0.5');
    await page.getByLabel('Memory TaskManager').fill('1G');
    await expectLabelled(page);

    // A value the server refuses: its message appears beside the field it names, and focus moves there.
    await page.getByLabel('Parallelism').fill('many');
    await page.getByRole('button', { name: 'Create deployment' }).click();
    const parallelismError = page.locator('#parallelism-error');
    await parallelismError.waitFor();
    expect(await parallelismError.textContent()).toMatch(/^spec\.template\.spec\.parallelism/);
    expect(await page.getByLabel('Parallelism').getAttribute('aria-invalid')).toBe('true');
    expect(await focused(page, 'id')).toBe('parallelism');
    await shot('deployment-form-error');

    await page.getByLabel('Parallelism').fill('1');
    await page.getByRole('button', { name: 'Create deployment' }).click();
    await page.waitForURL(/#\/ns\/vvp-namespace-1\/deployments\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.locator('#deployment-title').textContent()).toBe('TopSpeedWindowing');
    await expect.poll(() => page.locator('#state-badge').textContent()).toContain('CANCELLED');

    // "Apply Changes -> Start the deployment", then watch it without reloading.
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => page.locator('#state-badge .badge').textContent(), { timeout: 60_000, interval: 500 }).toBe('RUNNING');
    await expect.poll(() => page.locator('#announcer').textContent(), { timeout: 5_000 }).toMatch(/is now RUNNING|Start requested/);
    // Step 10: the job's JobManager and TaskManager pods run in vvp-jobs-team-1.
    await expect.poll(() => page.locator('#pods-region tr[data-pod]').count(), { timeout: 20_000 }).toBe(2);
    const pods = await page.locator('#pods-region tbody').textContent();
    expect(pods).toMatch(/job-[0-9a-f-]{36}-jobmanager/);
    expect(pods).toMatch(/job-[0-9a-f-]{36}-taskmanager/);
    expect(pods).toContain('Running');
    expect(await page.locator('#jobs-region tbody tr').count()).toBe(1);
    expect(await page.locator('#savepoints-region').textContent()).toMatch(/None/);
    // The deployment's event log, newest first: the job started, and why it was created.
    await expect.poll(() => page.locator('#events-region tr[data-event="JOB_SUCCESSFULLY_STARTED"]').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('#events-region tr[data-event="CREATING_A_NEW_JOB"]').textContent()).toMatch(
      /Creating job [0-9a-f-]{36} \(attempt 1 of 4\)/,
    );
    expect(await page.locator('#events-region tbody tr').first().getAttribute('data-event')).toBe('STATE_TRANSITION_IS_COMPLETED');
    const spec = await page.locator('#spec-region').textContent();
    expect(spec).toContain('vvp-jobs-team-1');
    expect(spec).toContain('1.9.1-stream1-scala_2.12');
    await expectLabelled(page);
    await shot('deployment-running');

    // The edit page starts from the stored deployment; its YAML carries the version it was read at.
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.waitForURL(/\/edit$/);
    await page.getByLabel('Jar URI').waitFor();
    expect(await page.getByLabel('Name', { exact: true }).getAttribute('readonly')).not.toBeNull();
    expect(await page.getByLabel('Jar URI').inputValue()).toBe(JAR);
    expect(await page.getByLabel('Memory TaskManager').inputValue()).toBe('1G');
    await page.getByRole('button', { name: 'YAML' }).click();
    const edited = await page.getByLabel(/^Deployment \(YAML\)/).inputValue();
    expect(edited).toMatch(/resourceVersion: \d+/);
    expect(edited).toContain('state: RUNNING');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(/deployments\/[0-9a-f-]{36}$/);

    // The pods are really there, in the target's Kubernetes namespace.
    const listed = await sluice.kube.core.listNamespacedPod({ namespace: 'vvp-jobs-team-1', labelSelector: 'app=flink-job' });
    expect(listed.items.filter((p) => p.metadata?.labels?.vvpNamespace === 'vvp-namespace-1').length).toBeGreaterThanOrEqual(2);

    // A target in use cannot be deleted: the refusal says why.
    await nav('Deployment Targets').click();
    const del = page.getByRole('button', { name: 'Delete deployment target vvp-jobs-team-1' });
    await del.click();
    await page.getByRole('button', { name: 'Confirm: delete deployment target vvp-jobs-team-1' }).click();
    await expect.poll(() => page.locator('#targets-error').textContent()).toMatch(/referenced by deployment TopSpeedWindowing/);
    await page.locator('tr[data-target="vvp-jobs-team-1"]').waitFor();
    await shot('targets-refused');

    // The Deployments page, for the docs.
    await nav('Deployments').click();
    const row = page.locator('tr[data-deployment="TopSpeedWindowing"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('RUNNING');
    expect(await row.textContent()).toContain('vvp-jobs-team-1');
    await page.locator('h1').click(); // no focus ring in the picture
    // docs/console.png is (re)written when missing or asked for, so that a test run does not dirty the tree.
    const picture = await page.screenshot();
    expect(picture.length).toBeGreaterThan(10_000);
    if (process.env.SLUICE_UPDATE_SCREENSHOT === '1' || !existsSync(SCREENSHOT)) {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      writeFileSync(SCREENSHOT, picture);
    }
    await signOut();
  }, 180_000);

  it("the deployment's page links to its job's Flink UI, which opens through Sluice with the console's sign-in", async () => {
    await signIn(secrets['team-1']!);
    await nav('Deployments').click();
    await page.locator('tr[data-deployment="TopSpeedWindowing"] a').first().click();
    await page.waitForURL(/deployments\/[0-9a-f-]{36}$/);
    const link = page.locator('#flink-ui-link');
    await link.waitFor();
    expect(await link.getAttribute('href')).toMatch(/^\/flink-ui\/v1\/namespaces\/vvp-namespace-1\/jobs\/[0-9a-f-]{36}\/$/);
    const [flinkUi] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await flinkUi.waitForLoadState();
    // The JobManager's page (the pod simulator's stand-in for Flink's web UI), and its REST API at relative paths, as the UI calls it.
    expect(await flinkUi.title()).toBe('Apache Flink Web Dashboard');
    const overview = await flinkUi.evaluate<{ status: number; body: { 'jobs-running'?: number } }>(
      `fetch('overview').then(async (r) => ({ status: r.status, body: await r.json() }))`,
    );
    expect(overview).toMatchObject({ status: 200, body: { 'jobs-running': 1 } });
    await flinkUi.close();
    const href = (await link.getAttribute('href'))!;
    await signOut();
    // Signed out, the Flink UI is closed to this browser too.
    await expect.poll(() => page.evaluate<number>(`fetch(${JSON.stringify(`${href}overview`)}).then((r) => r.status)`)).toBe(401);
  });

  it("step 11: team 2 does not see team 1's deployment and cannot use vvp-jobs-team-1", async () => {
    await signIn(secrets['team-2']!);
    await expect.poll(switcherOptions).toEqual(['vvp-namespace-2']);
    await page.waitForURL(/#\/ns\/vvp-namespace-2\/deployments/);
    await page.locator('#deployments-region .empty').waitFor();
    expect(await page.locator('#main').textContent()).not.toContain('TopSpeedWindowing');

    await nav('Deployment Targets').click();
    await page.getByLabel('Deployment target name').fill('vvp-jobs-team-2');
    await page.getByLabel('Kubernetes namespace').fill('vvp-jobs-team-2');
    await page.getByRole('button', { name: 'Add deployment target' }).click();
    await page.locator('tr[data-target="vvp-jobs-team-2"]').waitFor();

    await nav('Deployments').click();
    await page.getByRole('link', { name: 'Create deployment' }).click();
    await page.waitForURL(/deployments\/new$/);
    const targetSelect = page.getByLabel('Deployment target', { exact: true });
    await targetSelect.waitFor();
    const offered = await targetSelect.locator('option').allTextContents();
    expect(offered).toEqual(['Choose a deployment target', 'vvp-jobs-team-2 (Kubernetes namespace vvp-jobs-team-2)']);

    // Naming it anyway (in the YAML editor) is refused, beside the editor, in the server's words.
    await page.getByRole('button', { name: 'YAML' }).click();
    const yaml = exampleText('top-speed-windowing.yaml')
      .replace('namespace: vvp-namespace-1', 'namespace: vvp-namespace-2')
      .replace('deploymentTargetId: %%ID_OF_VVP_JOBS_DEPLOYMENT_TARGET%%', 'deploymentTargetName: vvp-jobs-team-1');
    await page.getByLabel('Deployment (YAML)').fill(yaml);
    await page.getByRole('button', { name: 'Create deployment' }).click();
    await expect
      .poll(() => page.locator('#yaml-error').textContent())
      .toMatch(/^spec\.deploymentTargetName: deployment target vvp-jobs-team-1 not found in namespace vvp-namespace-2/);
    expect(await page.getByLabel('Deployment (YAML)').getAttribute('aria-invalid')).toBe('true');
    await shot('deployment-yaml-refused');

    // Team 1's namespace, typed into the address bar, is "not found", never shown.
    await page.goto(`${sluice.url}/#/ns/vvp-namespace-1/deployments`);
    await expect.poll(() => page.locator('#deployments-region').textContent()).toContain('namespace vvp-namespace-1 not found');
    expect(await switcherOptions()).toEqual(['vvp-namespace-2']);

    // And through the API: team 1's pods are not team 2's to read.
    const d = (await (await sluice.api('/api/v1/namespaces/vvp-namespace-1/deployments/TopSpeedWindowing')).json()) as {
      metadata: { id: string };
    };
    const own = await sluice.api(`/api/v1/namespaces/vvp-namespace-1/deployments/${d.metadata.id}/pods`, { token: secrets['team-1']! });
    expect(own.status).toBe(200);
    const items = ((await own.json()) as { items: { name: string; phase: string; ready: boolean; component: string }[] }).items;
    expect(items.map((p) => p.component).sort()).toEqual(['jobmanager', 'taskmanager']);
    expect(items.every((p) => p.phase === 'Running' && p.ready)).toBe(true);
    const other = await sluice.api(`/api/v1/namespaces/vvp-namespace-1/deployments/${d.metadata.id}/pods`, { token: secrets['team-2']! });
    expect(other.status).toBe(404);
    const anonymous = await sluice.api(`/api/v1/namespaces/vvp-namespace-1/deployments/${d.metadata.id}/pods`, { token: null });
    expect(anonymous.status).toBe(401);
    await signOut();
  }, 120_000);

  it('is usable with the keyboard alone: sign in, move between pages, reach the forms', async () => {
    await signedOut();
    // The sign-in page starts in the token field.
    expect(await focused(page, 'id')).toBe('token');
    await page.keyboard.type(secrets['team-1']!);
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/ns\/vvp-namespace-1\/deployments/);
    // Focus moved to the new page's heading (screen readers announce it), and Tab goes on from there.
    await expect.poll(() => focused(page, 'textContent')).toBe('Deployments');
    expect(await focused(page, 'tagName')).toBe('H1');
    await page.keyboard.press('Tab');
    expect(await focused(page, 'textContent')).toBe('Create deployment');
    await page.keyboard.press('Enter');
    await page.waitForURL(/deployments\/new$/);
    await expect.poll(() => focused(page, 'id')).toBe('name');

    // A fresh page: Tab reaches the skip link, then the namespace switcher, then the pages.
    // The page of a namespace does not list the namespaces (a list that grows with the
    // installation); the switcher does, once reached.
    const namespaceLists: string[] = [];
    const countLists = (request: { url(): string }) => {
      if (new URL(request.url()).pathname === '/namespaces/v1/namespaces') namespaceLists.push(request.url());
    };
    page.on('request', countLists);
    await page.goto(`${sluice.url}/#/ns/vvp-namespace-1/targets`);
    await page.reload();
    await page.locator('#target-form').waitFor();
    expect(namespaceLists).toEqual([]);
    expect(await switcherOptions()).toEqual(['vvp-namespace-1']);
    await page.keyboard.press('Tab');
    expect(await focused(page, 'textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await focused(page, 'id')).toBe('ns-select');
    await expect.poll(() => namespaceLists.length).toBe(1);
    page.off('request', countLists);
    await page.keyboard.press('Tab');
    expect(await focused(page, 'textContent')).toBe('Deployments');
    // Focus is visible.
    expect(await inPage<string>(page, 'getComputedStyle(el).outlineStyle')).toBe('solid');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focused(page, 'textContent')).toBe('API Tokens');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/ns\/vvp-namespace-1\/tokens/);
    await expect.poll(() => focused(page, 'tagName')).toBe('H1');
    expect(await page.locator('h1').textContent()).toBe('API Tokens');
  });

  it("team 1 sees its namespace's deployment defaults and the names of its secret values, never a value", async () => {
    const token = secrets['team-1']!;
    const defaults = await sluice.api('/api/v1/namespaces/vvp-namespace-1/deployment-defaults', {
      method: 'PATCH',
      token,
      body: JSON.stringify({ spec: { template: { spec: { flinkConfiguration: { 'metrics.reporters': 'prom' } } } } }),
    });
    expect(defaults.status, await defaults.clone().text()).toBe(200);
    const created = await sluice.api('/api/v1/namespaces/vvp-namespace-1/secret-values', {
      method: 'POST',
      token,
      body: JSON.stringify({ metadata: { name: 'kafka-password' }, spec: { kind: 'Plain', value: 'do-not-show-me' } }),
    });
    expect(created.status, await created.clone().text()).toBe(201);

    await signIn(token);
    await nav('Defaults & Secret Values').click();
    await page.waitForURL(/#\/ns\/vvp-namespace-1\/settings$/);
    await expect.poll(() => page.locator('#defaults-yaml').textContent()).toContain('metrics.reporters: prom');
    await page.locator('tr[data-secret-value="kafka-password"]').waitFor();
    expect(await page.locator('main').textContent()).not.toContain('do-not-show-me');
    await expectLabelled(page);
    await shot('defaults-and-secret-values');
  });

  it('team 1 cancels its deployment, deletes it, and then its deployment target', { timeout: 120_000 }, async () => {
    await signIn(secrets['team-1']!);
    await page.locator('tr[data-deployment="TopSpeedWindowing"] a').click();
    await expect.poll(() => page.locator('#state-badge .badge').textContent()).toBe('RUNNING');
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect.poll(() => page.locator('#state-badge .badge').textContent(), { timeout: 60_000, interval: 500 }).toBe('CANCELLED');
    await expect.poll(() => page.locator('#pods-region tr[data-pod]').count(), { timeout: 30_000 }).toBe(0);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Confirm delete' }).click();
    await page.waitForURL(/#\/ns\/vvp-namespace-1\/deployments$/);
    await page.locator('#deployments-region .empty').waitFor();

    await nav('Deployment Targets').click();
    await page.getByRole('button', { name: 'Delete deployment target vvp-jobs-team-1' }).click();
    await page.getByRole('button', { name: 'Confirm: delete deployment target vvp-jobs-team-1' }).click();
    await page.locator('tr[data-target="vvp-jobs-team-1"]').waitFor({ state: 'detached' });
    expect(await page.locator('#targets-error').isVisible()).toBe(false);
  });

  it('needs no sign-in when Sluice runs without authentication (SLUICE_AUTH=off)', async () => {
    const open = await startSluice({ auth: false, events: false });
    try {
      await page.goto(`${open.url}/`);
      await page.waitForURL(/#\/ns\/default\/deployments/);
      await page.locator('#deployments-region .empty').waitFor();
      expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(false);
      expect(await switcherOptions()).toContain('default');
    } finally {
      await open.stop();
    }
  });

  it('raised no script error and no Content-Security-Policy violation on any page', () => {
    expect(scriptErrors).toEqual([]);
  });
});
