// @ts-check
/* global sessionStorage */
import { ApiError, api, paths, session } from '../api.js';
import { html, field, showError, clearErrors, $ } from '../dom.js';
import { navigate, shell } from '../app.js';

export async function signInPage(main) {
  const notice = sessionStorage.getItem('sluice.signin-message');
  sessionStorage.removeItem('sluice.signin-message');
  main.innerHTML = html`<div class="signin">
    <h1><span class="brand-mark" aria-hidden="true">≋</span> Sign in to Sluice</h1>
    <p>
      Paste an API token. An owner of a namespace creates tokens on its <em>API Tokens</em> page; the platform's bootstrap token was printed
      when Sluice was installed. The token is kept in this browser tab only, and sent with every request.
    </p>
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
    <form id="signin-form" novalidate>
      <p class="form-error" role="alert" tabindex="-1" hidden></p>
      ${field({ id: 'token', label: 'API token', type: 'password', path: '*', required: true, attrs: 'autocomplete="off" spellcheck="false"' })}
      <button type="submit" class="button primary">Sign in</button>
    </form>
  </div>`.toString();
  const form = $('#signin-form', main);
  const input = $('#token', main);
  input.focus();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const token = input.value.trim();
    if (!token) {
      showError(form, new Error('API token: paste a token to sign in'));
      return;
    }
    try {
      // Any authenticated call checks the token; this one also fills the namespace switcher.
      await api('GET', paths.namespaces(), { token });
    } catch (err) {
      const msg = err instanceof ApiError && err.status === 401 ? `This token was refused: ${err.message}` : err.message;
      showError(form, new Error(msg));
      return;
    }
    session.signIn(token);
    shell.namespaces = [];
    shell.current = undefined;
    await shell.refreshNamespaces();
    navigate('#/');
  });
}
