// @ts-check
/* global document, window, sessionStorage */
// The console's shell: sign-in, the namespace switcher, the navigation and a hash router.
import { ApiError, api, nsName, onUnauthorized, paths, session } from './api.js';
import { $, $$, announce, html, patch } from './dom.js';

const LAST_NS = 'sluice.namespace';

/** Routes: `#/ns/<ns>/<page>[/<id>[/edit]]`, `#/namespaces`, `#/signin`. */
const PAGES = {
  deployments: () => import('./pages/deployments.js').then((m) => m.deploymentsPage),
  deployment: () => import('./pages/deployment.js').then((m) => m.deploymentPage),
  'deployment-form': () => import('./pages/deployment-form.js').then((m) => m.deploymentFormPage),
  targets: () => import('./pages/targets.js').then((m) => m.targetsPage),
  tokens: () => import('./pages/tokens.js').then((m) => m.tokensPage),
  settings: () => import('./pages/settings.js').then((m) => m.settingsPage),
  namespaces: () => import('./pages/namespaces.js').then((m) => m.namespacesPage),
  signin: () => import('./pages/signin.js').then((m) => m.signInPage),
};

export function parseRoute(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'signin') return { page: 'signin' };
  if (parts[0] === 'namespaces') return { page: 'namespaces' };
  if (parts[0] === 'ns' && parts[1]) {
    const ns = parts[1];
    const section = parts[2] || 'deployments';
    if (section === 'deployments') {
      if (parts[3] === 'new') return { page: 'deployment-form', ns };
      if (parts[3] && parts[4] === 'edit') return { page: 'deployment-form', ns, id: parts[3] };
      if (parts[3]) return { page: 'deployment', ns, id: parts[3] };
      return { page: 'deployments', ns };
    }
    if (section === 'targets' || section === 'tokens' || section === 'settings') return { page: section, ns };
  }
  return { page: 'home' };
}

export const href = {
  deployments: (ns) => `#/ns/${encodeURIComponent(ns)}/deployments`,
  deployment: (ns, id) => `#/ns/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(id)}`,
  newDeployment: (ns) => `#/ns/${encodeURIComponent(ns)}/deployments/new`,
  editDeployment: (ns, id) => `#/ns/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(id)}/edit`,
  targets: (ns) => `#/ns/${encodeURIComponent(ns)}/targets`,
  tokens: (ns) => `#/ns/${encodeURIComponent(ns)}/tokens`,
  settings: (ns) => `#/ns/${encodeURIComponent(ns)}/settings`,
  namespaces: () => '#/namespaces',
};

export function navigate(to) {
  if (window.location.hash === to) void render();
  else window.location.hash = to;
}

/**
 * The namespaces this token can see. Listed when a page needs the choice (the home page, the
 * namespaces page) or the switcher is reached for, never on a page load that names its
 * namespace: the list grows with the installation, and a page of one namespace does not need it.
 */
export const shell = {
  namespaces: [],
  /** Whether `namespaces` holds the list. */
  loaded: false,
  current: undefined,
  /** @type {Promise<unknown> | undefined} */
  loading: undefined,
  async refreshNamespaces() {
    const { namespaces = [] } = await api('GET', paths.namespaces());
    this.namespaces = namespaces.map(nsName).sort();
    this.loaded = true;
    renderSwitcher();
    return this.namespaces;
  },
  /** Lists the namespaces once (the switcher was reached for); a failure is tried again next time. */
  ensureNamespaces() {
    if (this.loaded) return Promise.resolve(this.namespaces);
    this.loading ??= this.refreshNamespaces()
      .catch(() => [])
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  },
};

function renderSwitcher() {
  const sel = $('#ns-select');
  // Until the list is loaded, the switcher holds the page's own namespace.
  const names = shell.loaded ? shell.namespaces : shell.current ? [shell.current] : [];
  const known = names.includes(shell.current);
  patch(sel, [
    known ? '' : html`<option value="" selected disabled>${names.length || !shell.loaded ? 'Choose a namespace' : '(none)'}</option>`,
    names.map((n) => html`<option value="${n}" ${n === shell.current ? 'selected' : ''}>${n}</option>`),
  ]);
  sel.value = known ? shell.current : '';
  sel.disabled = shell.loaded && names.length === 0;
}

function renderNav(route) {
  const ns = shell.current;
  const section = route.page === 'deployment' || route.page === 'deployment-form' ? 'deployments' : route.page;
  for (const a of $$('[data-nav]')) {
    const key = a.dataset.nav;
    if (key !== 'namespaces') {
      if (ns) {
        a.href = href[key](ns);
        a.removeAttribute('aria-disabled');
      } else {
        a.removeAttribute('href');
        a.setAttribute('aria-disabled', 'true');
      }
    }
    if (key === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

let stopPage = () => {};
let renderSeq = 0;
let firstPage = true;
let authMode;

async function render() {
  const seq = ++renderSeq;
  stopPage();
  stopPage = () => {};
  const route = parseRoute(window.location.hash);
  const main = $('#main');
  if (authMode === undefined) {
    // With SLUICE_AUTH=off the API needs no token (as VVP without authentication): skip sign-in.
    const mode = await api('GET', '/api/v1/status', { token: null }).then(
      (r) => r.auth,
      () => 'on',
    );
    if (seq !== renderSeq) return;
    authMode = mode;
    session.authOff = authMode === 'off';
    $('#signout').hidden = session.authOff;
    if (session.authOff && route.page === 'signin') {
      navigate('#/');
      return;
    }
  }
  const signedIn = session.signedIn;

  if (!signedIn && route.page !== 'signin') {
    navigate('#/signin');
    return;
  }
  $('#sidebar').hidden = !signedIn || route.page === 'signin';

  // Only the home page chooses a namespace from the list; every other page names its own.
  if (signedIn && route.page === 'home' && !shell.loaded) {
    try {
      await shell.refreshNamespaces();
    } catch (err) {
      if (seq !== renderSeq) return;
      if (err instanceof ApiError && err.status === 401) return;
      main.innerHTML = html`<h1 tabindex="-1">Sluice</h1>
        <p class="form-error" role="alert">${err.message}</p>`.toString();
      return;
    }
    if (seq !== renderSeq) return;
  }

  if (route.page === 'home') {
    const last = sessionStorage.getItem(LAST_NS);
    const ns = shell.namespaces.includes(last) ? last : shell.namespaces[0];
    navigate(ns ? href.deployments(ns) : href.namespaces());
    return;
  }
  if (route.ns) {
    shell.current = route.ns;
    sessionStorage.setItem(LAST_NS, route.ns);
  } else if (!shell.current) {
    shell.current = sessionStorage.getItem(LAST_NS) ?? shell.namespaces[0];
  }
  renderSwitcher();
  renderNav(route);

  const page = await PAGES[route.page]();
  if (seq !== renderSeq) return;
  main.dataset.page = route.page;
  main.innerHTML = '';
  const stop = await page(main, route);
  if (seq !== renderSeq) {
    if (typeof stop === 'function') stop();
    return;
  }
  stopPage = typeof stop === 'function' ? stop : () => {};
  const h1 = $('h1', main);
  document.title = `${h1 ? h1.textContent.trim() : 'Sluice'}${route.ns ? ` · ${route.ns}` : ''} · Sluice`;
  // After an in-app navigation, move focus to the new page's heading so that screen readers
  // and keyboards start there (a fresh load keeps the browser's own start: the skip link).
  const initial = firstPage;
  firstPage = false;
  if (h1 && !initial && !main.contains(document.activeElement)) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: true });
  }
}

export function signOut(message) {
  session.signOut();
  shell.namespaces = [];
  shell.loaded = false;
  shell.current = undefined;
  sessionStorage.removeItem(LAST_NS);
  if (message) sessionStorage.setItem('sluice.signin-message', message);
  navigate('#/signin');
}

function start() {
  onUnauthorized((message) => signOut(`Signed out: ${message}`));
  // The list is loaded as the pointer or the keyboard reaches the switcher, before it opens.
  for (const type of ['pointerenter', 'focus']) $('#ns-select').addEventListener(type, () => void shell.ensureNamespaces());
  $('#ns-select').addEventListener('change', (e) => {
    const ns = e.target.value;
    if (!ns) return;
    const route = parseRoute(window.location.hash);
    const section = route.page === 'targets' || route.page === 'tokens' || route.page === 'settings' ? route.page : 'deployments';
    announce(`Switched to namespace ${ns}`);
    navigate(href[section](ns));
  });
  $('#signout').addEventListener('click', () => signOut('Signed out.'));
  $('#skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    const h1 = $('#main h1');
    (h1 || $('#main')).focus();
  });
  window.addEventListener('hashchange', () => {
    if (window.location.hash.startsWith('#/') || window.location.hash === '') void render();
  });
  void render();
}

start();
