// @ts-check
import { api, paths, tokenName } from '../api.js';
import { $, age, clearErrors, confirmations, copy, deleteButtons, field, html, patch, select, showError } from '../dom.js';
import { errorPanel } from './deployments.js';

export async function tokensPage(main, { ns }) {
  main.innerHTML = html`<div class="page-head"><h1>API Tokens</h1></div>
    <p class="lead">
      Tokens of namespace <strong>${ns}</strong>. Each grants its role in this namespace only. Owners manage them; a token's secret is shown
      once, when it is created.
    </p>
    <div id="secret-region"></div>
    <div id="tokens-region" class="table-wrap"><p class="loading">Loading…</p></div>
    <p class="form-error" id="tokens-error" role="alert" tabindex="-1" hidden></p>
    <section aria-labelledby="h-new-token" class="card">
      <h2 id="h-new-token">Create API token</h2>
      <form id="token-form" novalidate>
        <p class="form-error" role="alert" tabindex="-1" hidden></p>
        <div class="row">
          ${field({ id: 'token-name', label: 'Token name', path: 'name', required: true, hint: 'Lowercase letters, digits and -', attrs: 'autocomplete="off" spellcheck="false"' })}
          ${select({
            id: 'token-role',
            label: 'Role',
            path: 'role',
            value: 'editor',
            options: [
              { value: 'viewer', label: 'viewer: read' },
              { value: 'editor', label: 'editor: read and change deployments' },
              { value: 'owner', label: 'owner: everything in this namespace' },
            ],
          })}
        </div>
        <div class="actions"><button type="submit" class="button primary">Create token</button></div>
      </form>
    </section>`.toString();

  const region = $('#tokens-region', main);
  const listError = $('#tokens-error', main);
  let tokens = [];
  let loadError;
  const confirm = confirmations(() => draw());

  const draw = () => {
    if (loadError) {
      patch(region, errorPanel(loadError, ns));
      return;
    }
    if (tokens.length === 0) {
      patch(
        region,
        html`<div class="empty">
          <p>No API tokens in <strong>${ns}</strong>.</p>
        </div>`,
      );
      return;
    }
    patch(
      region,
      html`<table class="data">
        <caption class="visually-hidden">
          API tokens of ${ns}
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Created</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${tokens.map((t) => {
            const name = tokenName(t);
            const key = `delete-token:${name}`;
            const armed = confirm.isArmed(key);
            return html`<tr data-token="${name}">
              <th scope="row">${name}</th>
              <td>${t.role}</td>
              <td>${age(t.createTime)}</td>
              <td>
                <button
                  type="button"
                  class="button small ${armed ? 'danger' : 'secondary'}"
                  data-key="${key}"
                  data-delete="${name}"
                  aria-label="${armed ? `Confirm: delete token ${name}` : `Delete token ${name}`}"
                >
                  ${armed ? 'Confirm delete' : 'Delete'}
                </button>
              </td>
            </tr>`;
          })}
        </tbody>
      </table>`,
    );
  };

  const load = async () => {
    try {
      const r = await api('GET', paths.tokens(ns));
      tokens = (r.apiTokens || []).sort((a, b) => tokenName(a).localeCompare(tokenName(b)));
      loadError = undefined;
    } catch (err) {
      loadError = err;
    }
    draw();
  };

  deleteButtons({ region, confirm, listError, remove: (name) => api('DELETE', paths.token(ns, name)), label: 'Token', reload: load });

  const secretRegion = $('#secret-region', main);
  const form = $('#token-form', main);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const name = form.elements.namedItem('token-name').value.trim();
    const role = form.elements.namedItem('token-role').value;
    const submit = $('button[type="submit"]', form);
    submit.disabled = true;
    try {
      const { apiToken } = await api('POST', paths.tokens(ns), { body: { name: name ? `namespaces/${ns}/apitokens/${name}` : '', role } });
      const created = tokenName(apiToken);
      secretRegion.innerHTML = html`<div class="panel secret" role="status" tabindex="-1" id="secret-panel">
        <h2>Token ${created} created</h2>
        <p>Copy its secret now: it is <strong>shown only this once</strong>. Role: ${apiToken.role} in ${ns}.</p>
        <div class="secret-row">
          <label for="token-secret">Secret of token ${created}</label>
          <input id="token-secret" type="text" readonly value="${apiToken.secret}" spellcheck="false" autocomplete="off" />
          <button type="button" class="button secondary" id="copy-secret">Copy</button>
          <button type="button" class="button secondary" id="dismiss-secret">Done</button>
        </div>
        <p class="muted" id="copy-result" aria-live="polite"></p>
      </div>`.toString();
      const input = $('#token-secret', secretRegion);
      $('#copy-secret', secretRegion).addEventListener('click', async () => {
        const ok = await copy(apiToken.secret, input);
        $('#copy-result', secretRegion).textContent = ok ? 'Copied to the clipboard.' : 'Selected: press Ctrl+C (or ⌘C) to copy.';
      });
      $('#dismiss-secret', secretRegion).addEventListener('click', () => {
        secretRegion.innerHTML = '';
        form.elements.namedItem('token-name').focus();
      });
      form.reset();
      input.focus();
      input.select();
      await load();
    } catch (err) {
      showError(form, err, /already exists/.test(err.message) ? 'name' : undefined);
    } finally {
      submit.disabled = false;
    }
  });

  await load();
}
