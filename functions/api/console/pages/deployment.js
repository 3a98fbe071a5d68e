// @ts-check
/* global document, window, Element */
import { ApiError, api, flinkUiSession, paths } from '../api.js';
import { $, $$, age, announce, badge, html, patch, poll, when } from '../dom.js';
import { toYaml } from '../yaml.js';
import { href, navigate } from '../app.js';
import { errorPanel, stateCell, targetLabel } from './deployments.js';

const ACTIONS = [
  { state: 'RUNNING', label: 'Start', hint: 'Run the deployment: a new job is started.' },
  { state: 'SUSPENDED', label: 'Suspend', hint: 'Stop the job, taking a savepoint first.' },
  { state: 'CANCELLED', label: 'Cancel', hint: 'Stop the job without a savepoint.' },
];

const dash = html`<span class="muted">–</span>`;
const or = (v) => (v === undefined || v === null || v === '' ? dash : v);

function resources(spec, component) {
  const r = (spec.resources && spec.resources[component]) || {};
  return html`${r.cpu ?? '–'} CPU, ${r.memory ?? '–'} memory`;
}

function image(a) {
  const repo = [a.flinkImageRegistry, a.flinkImageRepository].filter(Boolean).join('/');
  if (!repo) return a.flinkImageTag ? html`tag ${a.flinkImageTag} <span class="muted">(default image)</span>` : dash;
  return `${repo}${a.flinkImageTag ? `:${a.flinkImageTag}` : ''}`;
}

function statusSection(d, ns) {
  const st = d.status || {};
  const running = st.running || {};
  const live = running.jobId && (st.state === 'RUNNING' || st.state === 'TRANSITIONING');
  const conditions = running.conditions || [];
  return html`<dl class="facts">
      <div>
        <dt>State</dt>
        <dd>${stateCell(d)}</dd>
      </div>
      <div>
        <dt>Desired state</dt>
        <dd>${d.spec.state}</dd>
      </div>
      <div>
        <dt>Current job</dt>
        <dd>${running.jobId ? html`<code>${running.jobId}</code>` : dash}</dd>
      </div>
      <div>
        <dt>Flink UI</dt>
        <dd>
          ${
            live
              ? html`<a id="flink-ui-link" href="${paths.flinkUi(ns, running.jobId)}" target="_blank" rel="noopener"
                  >Open the job's Flink UI</a
                >`
              : dash
          }
        </dd>
      </div>
      <div>
        <dt>Running since</dt>
        <dd>${running.transitionTime ? when(running.transitionTime) : dash}</dd>
      </div>
    </dl>
    ${
      st.failure
        ? html`<div class="panel error">
            <h3>Failure${st.failure.reason ? `: ${st.failure.reason}` : ''}</h3>
            <p>${st.failure.message || ''}</p>
            ${st.failure.failedAt ? html`<p class="muted">at ${when(st.failure.failedAt)}</p>` : ''}
          </div>`
        : ''
    }
    <h3>Conditions</h3>
    ${
      conditions.length
        ? html`<table class="data compact">
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Reason</th>
                <th scope="col">Message</th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              ${conditions.map(
                (c) =>
                  html`<tr>
                    <td>${c.type}</td>
                    <td>${c.status}</td>
                    <td>${or(c.reason)}</td>
                    <td>${or(c.message)}</td>
                    <td>${age(c.lastTransitionTime || c.lastUpdateTime)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">No conditions reported.</p>`
    }`;
}

function specSection(d, targets) {
  const s = d.spec;
  const t = (s.template && s.template.spec) || {};
  const a = t.artifact || {};
  return html`<dl class="facts">
      <div>
        <dt>Deployment target</dt>
        <dd>${targetLabel(d, targets)}</dd>
      </div>
      <div>
        <dt>Artifact</dt>
        <dd>${a.kind || '–'}${a.jarUri ? html` <code class="wrap">${a.jarUri}</code>` : ''}</dd>
      </div>
      <div>
        <dt>Flink version</dt>
        <dd>${or(a.flinkVersion)}</dd>
      </div>
      <div>
        <dt>Image</dt>
        <dd>${image(a)}</dd>
      </div>
      <div>
        <dt>Parallelism</dt>
        <dd>${or(t.parallelism)}</dd>
      </div>
      <div>
        <dt>JobManager</dt>
        <dd>${resources(t, 'jobmanager')}</dd>
      </div>
      <div>
        <dt>TaskManager</dt>
        <dd>${resources(t, 'taskmanager')}</dd>
      </div>
      <div>
        <dt>Upgrade / restore</dt>
        <dd>${(s.upgradeStrategy && s.upgradeStrategy.kind) || '–'} / ${(s.restoreStrategy && s.restoreStrategy.kind) || '–'}</dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>${when(d.metadata.createdAt)}</dd>
      </div>
      <div>
        <dt>Modified</dt>
        <dd>${when(d.metadata.modifiedAt)} (version ${d.metadata.resourceVersion})</dd>
      </div>
    </dl>
    <details>
      <summary>Full specification (YAML)</summary>
      <pre class="code">${toYaml({ metadata: d.metadata, spec: d.spec })}</pre>
    </details>`;
}

function jobsSection(jobs) {
  if (jobs.length === 0) return html`<p class="muted">No jobs yet: starting the deployment creates one.</p>`;
  jobs.sort((x, y) => String(y.metadata.createdAt).localeCompare(String(x.metadata.createdAt)));
  return html`<table class="data compact">
    <thead>
      <tr>
        <th scope="col">Job</th>
        <th scope="col">State</th>
        <th scope="col">Flink</th>
        <th scope="col">Pods ready</th>
        <th scope="col">Started</th>
        <th scope="col">Failure</th>
      </tr>
    </thead>
    <tbody>
      ${jobs.map((j) => {
        const st = j.status || {};
        const flink = st.started || {};
        const restarts = flink.observedFlinkJobRestarts ? ` (${flink.observedFlinkJobRestarts} restarts)` : '';
        return html`<tr>
          <td><code title="${j.metadata.id}">${String(j.metadata.id).slice(0, 8)}</code></td>
          <td>${badge(st.state)}</td>
          <td>${flink.observedFlinkJobStatus ? `${flink.observedFlinkJobStatus}${restarts}` : '–'}</td>
          <td>${st.pods ? `${st.pods.ready}/${st.pods.expected}` : '–'}</td>
          <td>${age(st.started && st.started.startedAt)}</td>
          <td>${st.failure ? `${st.failure.reason}: ${st.failure.message}` : '–'}</td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}

function podsSection(pods) {
  if (pods.length === 0) return html`<p class="muted">No pods.</p>`;
  return html`<table class="data compact">
    <thead>
      <tr>
        <th scope="col">Pod</th>
        <th scope="col">Component</th>
        <th scope="col">Phase</th>
        <th scope="col">Ready</th>
      </tr>
    </thead>
    <tbody>
      ${pods.map(
        (p) =>
          html`<tr data-pod="${p.name}">
            <td><code>${p.name}</code></td>
            <td>${p.component || '–'}</td>
            <td>${badge(p.phase)}</td>
            <td>${p.ready ? 'yes' : 'no'}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function savepointsSection(savepoints) {
  if (!savepoints || savepoints.length === 0) return html`<p class="muted">None.</p>`;
  return html`<table class="data compact">
    <thead>
      <tr>
        <th scope="col">Savepoint</th>
        <th scope="col">Origin</th>
        <th scope="col">State</th>
        <th scope="col">Location</th>
        <th scope="col">Created</th>
      </tr>
    </thead>
    <tbody>
      ${savepoints.map((s) => {
        const st = s.status || {};
        const sp = s.spec || {};
        return html`<tr>
          <td><code title="${s.metadata.id}">${String(s.metadata.id).slice(0, 8)}</code></td>
          <td>${or(s.metadata.origin || sp.origin)}</td>
          <td>${badge(st.state)}</td>
          <td><code class="wrap">${or(sp.savepointLocation)}</code></td>
          <td>${age(s.metadata.createdAt)}</td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}

/** The deployment's event log, newest first: what happened and why, as VVP shows it. */
function eventsSection(events) {
  if (!events || events.length === 0) return html`<p class="muted">No events yet.</p>`;
  const newest = [...events].reverse();
  return html`<table class="data compact">
    <thead>
      <tr>
        <th scope="col">Time</th>
        <th scope="col">Event</th>
        <th scope="col">Message</th>
        <th scope="col">Job</th>
      </tr>
    </thead>
    <tbody>
      ${newest.map(
        (e) =>
          html`<tr data-event="${e.metadata.name}">
            <td>${when(e.metadata.createdAt)}</td>
            <td><code>${e.metadata.name}</code></td>
            <td class="wrap">${e.spec.message}</td>
            <td>${e.metadata.jobId ? html`<code title="${e.metadata.jobId}">${String(e.metadata.jobId).slice(0, 8)}</code>` : dash}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export async function deploymentPage(main, { ns, id }) {
  main.innerHTML = html`<div class="page-head">
      <div>
        <p class="crumb"><a href="${href.deployments(ns)}">Deployments</a> /</p>
        <h1 id="deployment-title">Deployment</h1>
      </div>
      <div id="state-badge" class="head-state"></div>
    </div>
    <div class="toolbar" role="group" aria-label="Deployment actions">
      ${ACTIONS.map((a) => html`<button type="button" class="button" data-state="${a.state}" title="${a.hint}">${a.label}</button>`)}
      <a class="button secondary" id="edit-link" href="${href.editDeployment(ns, id)}">Edit</a>
      <button type="button" class="button secondary" id="delete-button" title="Only a cancelled deployment can be deleted">Delete</button>
    </div>
    <p class="form-error" id="action-error" role="alert" tabindex="-1" hidden></p>
    <div class="grid">
      <section aria-labelledby="h-status">
        <h2 id="h-status">Status</h2>
        <div id="status-region"><p class="loading">Loading…</p></div>
      </section>
      <section aria-labelledby="h-spec">
        <h2 id="h-spec">Specification</h2>
        <div id="spec-region"></div>
      </section>
      <section aria-labelledby="h-jobs">
        <h2 id="h-jobs">Jobs</h2>
        <div id="jobs-region" class="table-wrap"></div>
      </section>
      <section aria-labelledby="h-pods">
        <h2 id="h-pods">Pods</h2>
        <div id="pods-region" class="table-wrap"></div>
      </section>
      <section aria-labelledby="h-savepoints">
        <h2 id="h-savepoints">Savepoints</h2>
        <div id="savepoints-region" class="table-wrap"></div>
      </section>
      <section aria-labelledby="h-events">
        <h2 id="h-events">Events</h2>
        <div id="events-region" class="table-wrap"></div>
      </section>
    </div>`.toString();

  const actionError = $('#action-error', main);
  let current;
  let lastState;
  let savepointsMissing = false;
  let gone = false;

  const showActionError = (err) => {
    actionError.textContent = err.message;
    actionError.hidden = false;
    actionError.focus();
  };

  const refresh = async () => {
    if (gone) return;
    let d;
    try {
      d = await api('GET', paths.deployment(ns, id));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) gone = true;
      patch($('#status-region', main), errorPanel(err, ns));
      for (const b of $$('.toolbar button', main)) b.disabled = true;
      return;
    }
    current = d;
    const depId = d.metadata.id;
    const [targets, jobs, pods, events, savepoints] = await Promise.all([
      api('GET', paths.targets(ns))
        .then((r) => r.items || [])
        .catch(() => []),
      api('GET', paths.jobs(ns, depId))
        .then((r) => r.items || [])
        .catch(() => []),
      api('GET', paths.pods(ns, depId))
        .then((r) => r.items || [])
        .catch(() => []),
      api('GET', paths.events(ns, depId))
        .then((r) => r.items || [])
        .catch(() => []),
      savepointsMissing
        ? Promise.resolve([])
        : api('GET', paths.savepoints(ns, depId))
            .then((r) => r.items || r.savepoints || [])
            .catch((err) => {
              // Not offered by this server (yet): show "None" and stop asking.
              if (err instanceof ApiError && (err.status === 404 || err.status === 405)) savepointsMissing = true;
              return [];
            }),
    ]);
    const title = $('#deployment-title', main);
    const name = d.metadata.displayName || d.metadata.name;
    if (title.textContent !== name) {
      title.textContent = name;
      document.title = `${name} · ${ns} · Sluice`;
    }
    patch($('#state-badge', main), stateCell(d));
    const observed = (d.status && d.status.state) || 'UNKNOWN';
    if (lastState !== undefined && observed !== lastState) announce(`Deployment ${name} is now ${observed}`);
    lastState = observed;
    for (const b of $$('[data-state]', main)) b.disabled = d.spec.state === b.dataset.state;
    patch($('#status-region', main), statusSection(d, ns));
    patch($('#spec-region', main), specSection(d, targets));
    patch($('#jobs-region', main), jobsSection(jobs));
    patch($('#pods-region', main), podsSection(pods));
    patch($('#savepoints-region', main), savepointsSection(savepoints));
    patch($('#events-region', main), eventsSection(events));
  };

  for (const b of $$('[data-state]', main)) {
    b.addEventListener('click', async () => {
      actionError.hidden = true;
      b.disabled = true;
      try {
        const body = { spec: { state: b.dataset.state } };
        if (current) body.metadata = { resourceVersion: current.metadata.resourceVersion };
        await api('PATCH', paths.deployment(ns, id), { body });
        announce(`${b.textContent.trim()} requested`);
        await refresh();
      } catch (err) {
        b.disabled = false;
        showActionError(err);
      }
    });
  }

  // The Flink UI opens in a page of its own: make sure it carries the sign-in (a sign-in from
  // before the proxy existed has no cookie for it), then open it.
  main.addEventListener('click', async (e) => {
    const link = e.target instanceof Element ? e.target.closest('#flink-ui-link') : null;
    if (!link) return;
    e.preventDefault();
    await flinkUiSession();
    window.open(link.getAttribute('href'), '_blank', 'noopener');
  });

  const del = $('#delete-button', main);
  del.addEventListener('click', async () => {
    if (del.dataset.armed !== 'true') {
      del.dataset.armed = 'true';
      del.textContent = `Confirm delete`;
      del.classList.add('danger');
      return;
    }
    del.dataset.armed = 'false';
    del.textContent = 'Delete';
    del.classList.remove('danger');
    try {
      await api('DELETE', paths.deployment(ns, id));
      announce('Deployment deleted');
      navigate(href.deployments(ns));
    } catch (err) {
      showActionError(err);
    }
  });
  del.addEventListener('blur', () => {
    del.dataset.armed = 'false';
    del.textContent = 'Delete';
    del.classList.remove('danger');
  });

  return poll(refresh);
}
