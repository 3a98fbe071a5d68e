import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, deleteTestNamespace } from '../bed/env.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { applyCr, condition, createTarget, crFor, getDeployment, kubectlOk, rest, synced, waitCr } from './support.js';

/** VVP's operator authentication and authorization, with SLUICE_AUTH on. */
describe('the VvpDeployment operator with authentication on', () => {
  let sluice: RunningSluice;
  let ns = '';
  const vns = 'ops-team';
  const tokens: Record<string, string> = {};
  let logs = '';
  const dir = mkdtempSync(join(tmpdir(), 'ops-auth-'));

  const mint = async (namespace: string, role: string) =>
    (
      await rest<{ apiToken: { secret: string } }>(sluice, `/apitokens/v1/namespaces/${namespace}/apitokens`, {
        method: 'POST',
        body: JSON.stringify({ name: `namespaces/${namespace}/apitokens/${role}`, role }),
      })
    ).apiToken.secret;

  beforeAll(async () => {
    ns = await createTestNamespace('ops-auth');
    sluice = await startSluice({ watchedNamespaces: [ns], operatorIdentity: 'ops-auth', auth: true });
    // Every line the functions log, without the logger's redaction: tokens must not be in them at all.
    sluice.ctx.log = pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, done) => ((logs += String(chunk)), done()) }));
    for (const name of [vns, 'other-team'])
      await rest(sluice, '/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: `namespaces/${name}` }) });
    await createTarget(sluice, vns, 'team-target', ns);
    tokens.editor = await mint(vns, 'editor');
    tokens.viewer = await mint(vns, 'viewer');
    tokens.otherOwner = await mint('other-team', 'owner');
  });
  afterAll(async () => {
    await sluice?.stop();
    await deleteTestNamespace(ns);
    rmSync(dir, { recursive: true, force: true });
  });

  const absent = async (name: string) => expect((await sluice.api(`/api/v1/namespaces/${vns}/deployments/${name}`)).status).toBe(404);
  const leftAlone = (name: string, reason: string) =>
    waitCr(sluice, ns, name, (c) => condition(c)?.reason === reason && c, `${name}: ${reason}`);

  it('leaves a CR without an API token alone, saying why', async () => {
    await applyCr(ns, crFor('no-token', vns, 'team-target'));
    const cr = await leftAlone('no-token', 'Unauthenticated');
    expect(condition(cr)!.message).toMatch(/API token of role editor or owner.*apikey.*apikeySecretName/);
    expect(cr.status!.customResourceStatus).toBeUndefined();
    expect(cr.status!.observedGeneration).toBeUndefined();
    await absent('no-token');
  });

  it('leaves a CR with an invalid token alone, never showing the token', async () => {
    await applyCr(ns, crFor('bad-token', vns, 'team-target', { annotations: { apikey: 'sluice_not-a-real-token-123456' } }));
    const cr = await leftAlone('bad-token', 'Unauthenticated');
    expect(condition(cr)!.message).toBe('the API token in annotation apikey is not a valid API token');
    await absent('bad-token');
  });

  it('refuses a viewer token, and a token of another namespace (which sees nothing)', async () => {
    await applyCr(ns, crFor('viewer-token', vns, 'team-target', { annotations: { apikey: tokens.viewer! } }));
    expect(condition(await leftAlone('viewer-token', 'Forbidden'))!.message).toMatch(
      /role viewer in namespace ops-team may not write deployments/,
    );
    await applyCr(ns, crFor('foreign-token', vns, 'team-target', { annotations: { apikey: tokens.otherOwner! } }));
    expect(condition(await leftAlone('foreign-token', 'NamespaceNotFound'))!.message).toBe('namespace ops-team not found');
    await absent('viewer-token');
    await absent('foreign-token');
  });

  it('reconciles with an editor token from the apikey annotation', async () => {
    await applyCr(ns, crFor('editor-token', vns, 'team-target', { annotations: { apikey: tokens.editor! } }));
    await synced(sluice, ns, 'editor-token');
    const cr = await waitCr(
      sluice,
      ns,
      'editor-token',
      (c) => c.status?.customResourceStatus?.statusState === 'CANCELLED' && c,
      'status mirrored',
    );
    expect(cr.status!.customResourceStatus).toMatchObject({
      vvpNamespace: vns,
      customResourceState: 'SYNCING',
      observedSpecState: 'CANCELLED',
    });
    expect((await getDeployment(sluice, vns, 'editor-token', tokens.editor)).metadata.id).toBe(
      cr.status!.customResourceStatus!.deploymentId,
    );
  });

  it('reconciles with the token in a Secret made by `kubectl create secret generic --from-file=apikey`', async () => {
    const file = join(dir, 'apikey');
    writeFileSync(file, `${tokens.editor}\n`);
    await kubectlOk(['create', 'secret', 'generic', 'example-secret-name', '--namespace', ns, `--from-file=${file}`]);
    await applyCr(ns, crFor('secret-token', vns, 'team-target', { annotations: { apikeySecretName: 'example-secret-name' } }));
    await synced(sluice, ns, 'secret-token');
    await applyCr(ns, crFor('missing-secret', vns, 'team-target', { annotations: { apikeySecretName: 'nope' } }));
    expect(condition(await leftAlone('missing-secret', 'Unauthenticated'))!.message).toBe(
      `Secret nope (annotation apikeySecretName) not found in namespace ${ns}`,
    );
  });

  it('reconciles a CR that was left alone once it gets a token (its spec unchanged)', async () => {
    await kubectlOk(['-n', ns, 'annotate', 'vvpdeployment', 'no-token', `apikey=${tokens.editor}`]);
    const cr = await synced(sluice, ns, 'no-token');
    expect(cr.status!.customResourceStatus!.deploymentId).toBeDefined();
    // Without it again: left alone, and what it showed of the Deployment is gone.
    await kubectlOk(['-n', ns, 'annotate', 'vvpdeployment', 'no-token', 'apikey-']);
    const alone = await leftAlone('no-token', 'Unauthenticated');
    expect(Object.keys(alone.status!).sort()).toEqual(['conditions', 'observedGeneration']);
  });

  it('never writes a token into a status or a log line', async () => {
    const all = await rest<{ items: { status?: unknown }[] }>(sluice, '/api/v1/namespaces/ops-team/deployments');
    const statuses = JSON.stringify(
      (
        (await sluice.kube.custom.listNamespacedCustomObject({
          group: 'ververica.platform',
          version: 'v1',
          namespace: ns,
          plural: 'vvpdeployments',
        })) as { items: { status?: unknown }[] }
      ).items.map((i) => i.status),
    );
    for (const token of [...Object.values(tokens), 'sluice_not-a-real-token-123456']) {
      expect(statuses).not.toContain(token);
      expect(JSON.stringify(all)).not.toContain(token);
      expect(logs).not.toContain(token);
    }
    expect(logs).toContain('onCrChanged');
  });
});
