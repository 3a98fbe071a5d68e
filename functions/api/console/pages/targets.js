// @ts-check
import { api, paths } from '../api.js';
import { $, age, announce, badge, clearErrors, confirmations, deleteButtons, field, html, patch, poll, showError } from '../dom.js';
import { targetYaml } from '../yaml.js';
import { errorPanel } from './deployments.js';

export async function targetsPage(main, { ns }) {
  main.innerHTML = html`<div class="page-head"><h1>Deployment Targets</h1></div>
    <p class="lead">
      A deployment target binds namespace <strong>${ns}</strong> to a Kubernetes namespace, where its deployments' pods run. Its
      specification cannot change once created; a target in use cannot be deleted.
    </p>
    <div id="targets-region" class="table-wrap"><p class="loading">Loading…</p></div>
    <p class="form-error" id="targets-error" role="alert" tabindex="-1" hidden></p>
    <section aria-labelledby="h-new-target" class="card">
      <h2 id="h-new-target">Add deployment target</h2>
      <form id="target-form" novalidate>
        <p class="form-error" role="alert" tabindex="-1" hidden></p>
        <div class="row">
          ${field({ id: 'target-name', label: 'Deployment target name', path: 'metadata.name metadata', required: true, attrs: 'autocomplete="off" spellcheck="false"' })}
          ${field({ id: 'target-k8s-ns', label: 'Kubernetes namespace', path: 'spec.kubernetes.namespace spec.kubernetes', hint: "Where the pods run. Empty: the platform's own namespace.", attrs: 'autocomplete="off" spellcheck="false"' })}
        </div>
        ${field({
          id: 'target-patchset',
          label: 'Deployment patch set (optional)',
          path: 'spec.deploymentPatchSet spec',
          hint: 'RFC 6902 JSON Patch operations applied to every deployment using this target, as JSON or YAML, e.g. [{"op": "add", "path": "/spec/template/spec/flinkConfiguration/taskmanager.numberOfTaskSlots", "value": "2"}]',
          control: html`<textarea
            id="target-patchset"
            name="target-patchset"
            rows="6"
            wrap="off"
            spellcheck="false"
            data-path="spec.deploymentPatchSet spec"
            aria-describedby="target-patchset-hint target-patchset-error"
          ></textarea>`,
        })}
        <div class="actions"><button type="submit" class="button primary">Add deployment target</button></div>
      </form>
    </section>`.toString();

  const region = $('#targets-region', main);
  const listError = $('#targets-error', main);
  let targets = [];
  const confirm = confirmations(() => draw());

  const draw = () => {
    if (targets.length === 0) {
      patch(
        region,
        html`<div class="empty">
          <p>No deployment targets in <strong>${ns}</strong> yet.</p>
        </div>`,
      );
      return;
    }
    patch(
      region,
      html`<table class="data">
        <caption class="visually-hidden">
          Deployment targets in ${ns}
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kubernetes namespace</th>
            <th scope="col">State</th>
            <th scope="col">Patch set</th>
            <th scope="col">Age</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${targets.map((t) => {
            const st = t.status || {};
            const cond = (st.conditions || []).find((c) => c.status !== 'True') || (st.conditions || [])[0];
            const ops = (t.spec && t.spec.deploymentPatchSet) || [];
            const key = `delete-target:${t.metadata.name}`;
            const armed = confirm.isArmed(key);
            return html`<tr data-target="${t.metadata.name}">
              <th scope="row">${t.metadata.name}</th>
              <td>
                ${(t.spec && t.spec.kubernetes && t.spec.kubernetes.namespace) || html`<span class="muted">platform namespace</span>`}
              </td>
              <td>
                ${badge(st.state || 'PENDING')}${cond && cond.message && st.state !== 'READY' ? html` <span class="muted">${cond.message}</span>` : ''}
              </td>
              <td>${ops.length ? `${ops.length} operation${ops.length > 1 ? 's' : ''}` : html`<span class="muted">none</span>`}</td>
              <td>${age(t.metadata.createdAt)}</td>
              <td>
                <button
                  type="button"
                  class="button small ${armed ? 'danger' : 'secondary'}"
                  data-key="${key}"
                  data-delete="${t.metadata.name}"
                  aria-label="${armed ? `Confirm: delete deployment target ${t.metadata.name}` : `Delete deployment target ${t.metadata.name}`}"
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
      const r = await api('GET', paths.targets(ns));
      targets = (r.items || []).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    } catch (err) {
      patch(region, errorPanel(err, ns));
      return;
    }
    draw();
  };

  deleteButtons({
    region,
    confirm,
    listError,
    remove: (name) => api('DELETE', paths.target(ns, name)),
    label: 'Deployment target',
    reload: load,
  });

  const form = $('#target-form', main);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const v = (id) => form.elements.namedItem(id).value;
    const submit = $('button[type="submit"]', form);
    submit.disabled = true;
    try {
      const created = await api('POST', paths.targets(ns), {
        yaml: targetYaml(v('target-name').trim(), v('target-k8s-ns').trim(), v('target-patchset')),
      });
      announce(`Deployment target ${created.metadata.name} added`);
      form.reset();
      await load();
    } catch (err) {
      // The YAML the server could not parse can only come from the patch set; a clash is about the name.
      const path = /^invalid YAML body/.test(err.message)
        ? 'spec.deploymentPatchSet'
        : /already exists/.test(err.message)
          ? 'metadata.name'
          : undefined;
      showError(form, err, path);
    } finally {
      submit.disabled = false;
    }
  });

  return poll(load);
}
