// @ts-check
import { ApiError, api, paths } from '../api.js';
import { $, age, badge, html, patch, poll } from '../dom.js';
import { href } from '../app.js';

/** The state column: the observed state, and the desired one while they differ. */
export function stateCell(d) {
  const observed = (d.status && d.status.state) || 'UNKNOWN';
  const desired = d.spec && d.spec.state;
  return html`${badge(observed)}${desired && desired !== observed ? html` <span class="muted desired">→ ${desired}</span>` : ''}`;
}

/** A deployment's target, by name (as the target list names it) or as written in its spec. */
export function targetLabel(d, targets) {
  const s = d.spec || {};
  const t = targets.find((x) => x.metadata.id === s.deploymentTargetId || x.metadata.name === s.deploymentTargetName);
  if (t) return t.metadata.name;
  return s.deploymentTargetName || s.deploymentTargetId || (s.sessionClusterName ? `session cluster ${s.sessionClusterName}` : '–');
}

export function errorPanel(err, ns) {
  const gone = err instanceof ApiError && err.status === 404 && /^namespace /.test(err.message);
  return html`<div class="panel error" role="alert">
    <p>${err.message}</p>
    ${gone ? html`<p>The namespace ${ns} does not exist or this token has no role in it. <a href="#/">Go to your namespaces</a>.</p>` : ''}
  </div>`;
}

export async function deploymentsPage(main, { ns }) {
  main.innerHTML = html`<div class="page-head">
      <h1>Deployments</h1>
      <a class="button primary" href="${href.newDeployment(ns)}">Create deployment</a>
    </div>
    <p class="lead">Flink applications in namespace <strong>${ns}</strong>. States update every 2 seconds.</p>
    <div id="deployments-region" class="table-wrap"><p class="loading">Loading…</p></div>`.toString();
  const region = $('#deployments-region', main);

  return poll(async () => {
    let deployments;
    let targets;
    try {
      [deployments, targets] = await Promise.all([
        api('GET', paths.deployments(ns)).then((r) => r.items || []),
        api('GET', paths.targets(ns))
          .then((r) => r.items || [])
          .catch(() => []),
      ]);
    } catch (err) {
      patch(region, errorPanel(err, ns));
      return;
    }
    deployments.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    if (deployments.length === 0) {
      patch(
        region,
        html`<div class="empty">
          <p>No deployments in <strong>${ns}</strong> yet.</p>
          ${targets.length ? '' : html`<p>A deployment runs on a deployment target: <a href="${href.targets(ns)}">create a deployment target</a> first.</p>`}
        </div>`,
      );
      return;
    }
    patch(
      region,
      html`<table class="data" aria-describedby="deployments-caption">
        <caption id="deployments-caption" class="visually-hidden">
          Deployments in ${ns}
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">State</th>
            <th scope="col">Deployment target</th>
            <th scope="col">Parallelism</th>
            <th scope="col">Age</th>
          </tr>
        </thead>
        <tbody>
          ${deployments.map((d) => {
            const spec = (d.spec && d.spec.template && d.spec.template.spec) || {};
            return html`<tr data-deployment="${d.metadata.name}">
              <th scope="row">
                <a data-key="dep:${d.metadata.id}" href="${href.deployment(ns, d.metadata.id)}"
                  >${d.metadata.displayName || d.metadata.name}</a
                >
              </th>
              <td class="state">${stateCell(d)}</td>
              <td>${targetLabel(d, targets)}</td>
              <td class="num">${spec.parallelism ?? '–'}</td>
              <td>${age(d.metadata.createdAt)}</td>
            </tr>`;
          })}
        </tbody>
      </table>`,
    );
  });
}
