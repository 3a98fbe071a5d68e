// @ts-check
import { api, paths } from '../api.js';
import { $, age, html, patch, poll, when } from '../dom.js';
import { toYaml } from '../yaml.js';
import { errorPanel } from './deployments.js';

/** The namespace's Deployment Defaults and the names of its Secret Values (never their values). */
export async function settingsPage(main, { ns }) {
  main.innerHTML = html`<div class="page-head"><h1>Defaults &amp; Secret Values</h1></div>
    <section aria-labelledby="h-defaults" class="card">
      <h2 id="h-defaults">Deployment Defaults</h2>
      <p class="lead">
        Merged under every deployment created in <strong>${ns}</strong>: a deployment's own values win. Change them with
        <code>PATCH ${paths.deploymentDefaults(ns)}</code>.
      </p>
      <div id="defaults-region"><p class="loading">Loading…</p></div>
    </section>
    <section aria-labelledby="h-secrets" class="card">
      <h2 id="h-secrets">Secret Values</h2>
      <p class="lead">
        Used in a deployment's Flink configuration as <code>\${secret_values.&lt;name&gt;}</code>. Values are write-only: only names are
        shown.
      </p>
      <div id="secrets-region" class="table-wrap"><p class="loading">Loading…</p></div>
    </section>`.toString();

  const drawDefaults = (d) => {
    const empty = !d.spec || Object.keys(d.spec).length === 0;
    return html`${
        empty
          ? html`<p class="muted" id="defaults-empty">No defaults set.</p>`
          : html`<pre class="code" id="defaults-yaml">${toYaml(d.spec)}</pre>`
      }
      <p class="muted">
        Version ${d.metadata.resourceVersion}${d.metadata.resourceVersion ? html`, modified ${when(d.metadata.modifiedAt)}` : ''}
      </p>`;
  };
  const drawSecrets = (items) => {
    if (items.length === 0)
      return html`<div class="empty">
        <p>No secret values in <strong>${ns}</strong> yet.</p>
      </div>`;
    return html`<table class="data">
      <caption class="visually-hidden">
        Secret values in ${ns}
      </caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Kind</th>
          <th scope="col">Modified</th>
          <th scope="col">Age</th>
        </tr>
      </thead>
      <tbody>
        ${items.map(
          (s) =>
            html`<tr data-secret-value="${s.metadata.name}">
              <th scope="row">${s.metadata.name}</th>
              <td>${(s.spec && s.spec.kind) || 'Plain'}</td>
              <td>${when(s.metadata.modifiedAt)}</td>
              <td>${age(s.metadata.createdAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
  };

  const refresh = async () => {
    const [defaults, secrets] = await Promise.all([
      api('GET', paths.deploymentDefaults(ns)).then(
        (d) => drawDefaults(d),
        (err) => errorPanel(err, ns),
      ),
      api('GET', paths.secretValues(ns)).then(
        (r) => drawSecrets(r.items || []),
        (err) => errorPanel(err, ns),
      ),
    ]);
    patch($('#defaults-region', main), defaults);
    patch($('#secrets-region', main), secrets);
  };
  return poll(refresh, 5000);
}
