// @ts-check
import { api, nsName, paths } from '../api.js';
import { $, age, announce, badge, clearErrors, field, html, patch, showError } from '../dom.js';
import { href, shell } from '../app.js';

const bindings = (rbs) =>
  rbs && rbs.length
    ? rbs.map((b) => `${b.role}: ${(b.members || []).join(', ')}`).join('; ')
    : html`<span class="muted">tokens of this namespace only</span>`;

export async function namespacesPage(main) {
  main.innerHTML = html`<div class="page-head"><h1>Namespaces</h1></div>
    <p class="lead">
      Namespaces separate teams: each has its own deployment targets, deployments and API tokens. This list shows the namespaces your token
      can see.
    </p>
    <div id="namespaces-region" class="table-wrap"><p class="loading">Loading…</p></div>
    <section aria-labelledby="h-new-ns" class="card">
      <h2 id="h-new-ns">Add namespace</h2>
      <p class="muted">Only platform administrators can add namespaces.</p>
      <form id="namespace-form" novalidate>
        <p class="form-error" role="alert" tabindex="-1" hidden></p>
        ${field({ id: 'namespace-name', label: 'Namespace name', path: 'name', required: true, hint: 'Lowercase letters, digits and -, e.g. vvp-namespace-1', attrs: 'autocomplete="off" spellcheck="false"' })}
        <div class="actions"><button type="submit" class="button primary">Add namespace</button></div>
      </form>
    </section>`.toString();

  const region = $('#namespaces-region', main);
  const load = async () => {
    let list;
    try {
      list = (await api('GET', paths.namespaces())).namespaces || [];
    } catch (err) {
      patch(region, html`<div class="panel error" role="alert"><p>${err.message}</p></div>`);
      return;
    }
    shell.namespaces = list.map(nsName).sort();
    shell.loaded = true;
    list.sort((a, b) => nsName(a).localeCompare(nsName(b)));
    patch(
      region,
      list.length
        ? html`<table class="data">
            <caption class="visually-hidden">
              Namespaces
            </caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role bindings</th>
                <th scope="col">Phase</th>
                <th scope="col">Age</th>
              </tr>
            </thead>
            <tbody>
              ${list.map((n) => {
                const name = nsName(n);
                return html`<tr data-namespace="${name}">
                  <th scope="row"><a href="${href.deployments(name)}">${name}</a></th>
                  <td>${bindings(n.roleBindings)}</td>
                  <td>${badge(n.lifecyclePhase)}</td>
                  <td>${age(n.createTime)}</td>
                </tr>`;
              })}
            </tbody>
          </table>`
        : html`<div class="empty"><p>This token can see no namespace.</p></div>`,
    );
  };

  const form = $('#namespace-form', main);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const name = form.elements.namedItem('namespace-name').value.trim();
    const submit = $('button[type="submit"]', form);
    submit.disabled = true;
    try {
      const { namespace } = await api('POST', paths.namespaces(), { body: { name: name ? `namespaces/${name}` : '' } });
      announce(`Namespace ${nsName(namespace)} added`);
      form.reset();
      await load();
      await shell.refreshNamespaces();
      form.elements.namedItem('namespace-name').focus();
    } catch (err) {
      showError(form, err, /already exists/.test(err.message) ? 'name' : undefined);
    } finally {
      submit.disabled = false;
    }
  });

  await load();
}
