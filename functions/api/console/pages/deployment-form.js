// @ts-check
import { api, paths } from '../api.js';
import { $, $$, announce, clearErrors, field, html, select, showError } from '../dom.js';
import { toYaml } from '../yaml.js';
import { href, navigate } from '../app.js';
import { errorPanel } from './deployments.js';

const clone = (v) => JSON.parse(JSON.stringify(v ?? {}));

/** Sets or (for an empty value) removes a key. */
function put(obj, key, value) {
  if (value === undefined || value === '') delete obj[key];
  else obj[key] = value;
}

/** A number when the text is one; otherwise the text itself, so that the server names the field it refuses. */
function numberish(text) {
  const t = text.trim();
  if (t === '') return undefined;
  return /^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(t) ? Number(t) : t;
}

const NEW_SPEC = {
  state: 'CANCELLED',
  upgradeStrategy: { kind: 'STATELESS' },
  restoreStrategy: { kind: 'LATEST_SAVEPOINT' },
  template: {
    spec: {
      artifact: { kind: 'JAR' },
      parallelism: 1,
      resources: { jobmanager: { cpu: 1, memory: '1G' }, taskmanager: { cpu: 1, memory: '1G' } },
    },
  },
};

const P = 'spec.template.spec';

export async function deploymentFormPage(main, { ns, id }) {
  const editing = !!id;
  let current;
  let targets;
  try {
    [current, targets] = await Promise.all([
      editing ? api('GET', paths.deployment(ns, id)) : Promise.resolve(undefined),
      api('GET', paths.targets(ns)).then((r) => r.items || []),
    ]);
  } catch (err) {
    main.innerHTML = html`<h1>${editing ? 'Edit deployment' : 'Create deployment'}</h1>
      ${errorPanel(err, ns)}`.toString();
    return;
  }
  const spec = editing ? clone(current.spec) : clone(NEW_SPEC);
  const tspec = (spec.template && spec.template.spec) || {};
  const art = tspec.artifact || {};
  const res = tspec.resources || {};
  const jm = res.jobmanager || {};
  const tm = res.taskmanager || {};
  const target = targets.find((t) => t.metadata.id === spec.deploymentTargetId || t.metadata.name === spec.deploymentTargetName);
  const str = (v) => (v === undefined || v === null ? '' : String(v));

  const targetOptions = [
    { value: '', label: targets.length ? 'Choose a deployment target' : '(no deployment targets in this namespace)' },
    ...targets.map((t) => ({
      value: t.metadata.id,
      label: `${t.metadata.name}${t.spec && t.spec.kubernetes && t.spec.kubernetes.namespace ? ` (Kubernetes namespace ${t.spec.kubernetes.namespace})` : ''}`,
    })),
  ];

  const title = editing ? `Edit ${current.metadata.name}` : 'Create deployment';
  main.innerHTML = html`<div class="page-head">
      <div>
        <p class="crumb"><a href="${href.deployments(ns)}">Deployments</a> /</p>
        <h1>${title}</h1>
      </div>
    </div>
    <div class="mode-switch" role="group" aria-label="Editor">
      <button type="button" class="button secondary" data-mode="form" aria-pressed="true">Form</button>
      <button type="button" class="button secondary" data-mode="yaml" aria-pressed="false">YAML</button>
    </div>
    <form id="deployment-form" novalidate>
      <p class="form-error" role="alert" tabindex="-1" hidden></p>
      <div id="form-fields">
        <fieldset>
          <legend>Deployment</legend>
          ${field({ id: 'name', label: 'Name', path: 'metadata.name', value: editing ? current.metadata.name : '', required: true, attrs: editing ? 'readonly' : 'autocomplete="off"', hint: editing ? 'The name of a deployment cannot change.' : undefined })}
          ${select({ id: 'target', label: 'Deployment target', path: 'spec.deploymentTargetId spec.deploymentTargetName', options: targetOptions, value: target ? target.metadata.id : '', required: true, hint: targets.length ? 'Only the deployment targets of this namespace can be used.' : undefined })}
          ${targets.length ? '' : html`<p class="notice">This namespace has no deployment target yet: <a href="${href.targets(ns)}">create one</a>.</p>`}
        </fieldset>
        <fieldset>
          <legend>Artifact</legend>
          ${field({ id: 'jarUri', label: 'Jar URI', path: `${P}.artifact.jarUri ${P}.artifact`, value: str(art.jarUri), type: 'url', required: true, attrs: 'spellcheck="false"' })}
          <div class="row">
            ${field({ id: 'flinkVersion', label: 'Flink version', path: `${P}.artifact.flinkVersion`, value: str(art.flinkVersion), hint: 'e.g. 1.9' })}
            ${field({ id: 'flinkImageTag', label: 'Flink image tag', path: `${P}.artifact.flinkImageTag`, value: str(art.flinkImageTag), hint: 'e.g. 1.9.1-stream1-scala_2.12' })}
          </div>
          <div class="row">
            ${field({ id: 'flinkImageRegistry', label: 'Flink image registry (optional)', path: `${P}.artifact.flinkImageRegistry`, value: str(art.flinkImageRegistry) })}
            ${field({ id: 'flinkImageRepository', label: 'Flink image repository (optional)', path: `${P}.artifact.flinkImageRepository`, value: str(art.flinkImageRepository) })}
          </div>
        </fieldset>
        <fieldset>
          <legend>Resources</legend>
          ${field({ id: 'parallelism', label: 'Parallelism', path: `${P}.parallelism`, value: str(tspec.parallelism), attrs: 'inputmode="numeric"' })}
          <div class="row">
            ${field({ id: 'jmCpu', label: 'CPU JobManager', path: `${P}.resources.jobmanager.cpu ${P}.resources.jobmanager ${P}.resources`, value: str(jm.cpu), attrs: 'inputmode="decimal"' })}
            ${field({ id: 'jmMemory', label: 'Memory JobManager', path: `${P}.resources.jobmanager.memory`, value: str(jm.memory), hint: 'e.g. 1G, 1536m' })}
          </div>
          <div class="row">
            ${field({ id: 'tmCpu', label: 'CPU TaskManager', path: `${P}.resources.taskmanager.cpu ${P}.resources.taskmanager`, value: str(tm.cpu), attrs: 'inputmode="decimal"' })}
            ${field({ id: 'tmMemory', label: 'Memory TaskManager', path: `${P}.resources.taskmanager.memory`, value: str(tm.memory), hint: 'e.g. 1G, 1536m' })}
          </div>
        </fieldset>
        <fieldset>
          <legend>Upgrades</legend>
          <div class="row">
            ${select({ id: 'upgrade', label: 'Upgrade strategy', path: 'spec.upgradeStrategy', value: (spec.upgradeStrategy && spec.upgradeStrategy.kind) || 'STATELESS', options: ['STATELESS', 'STATEFUL', 'NONE'].map((v) => ({ value: v, label: v })) })}
            ${select({ id: 'restore', label: 'Restore strategy', path: 'spec.restoreStrategy', value: (spec.restoreStrategy && spec.restoreStrategy.kind) || 'LATEST_SAVEPOINT', options: ['LATEST_SAVEPOINT', 'LATEST_STATE', 'NONE'].map((v) => ({ value: v, label: v })) })}
          </div>
        </fieldset>
      </div>
      <div id="yaml-fields" hidden>
        ${field({
          id: 'yaml',
          label: editing ? 'Deployment (YAML): replaces the whole deployment' : 'Deployment (YAML)',
          path: '*',
          hint: 'The server validates it; a refusal names the field at fault.',
          control: html`<textarea
            id="yaml"
            name="yaml"
            rows="28"
            wrap="off"
            spellcheck="false"
            data-path="*"
            aria-describedby="yaml-hint yaml-error"
          ></textarea>`,
        })}
        <p class="notice" id="yaml-note" hidden>Edits made here are not carried back to the form: apply them from this editor.</p>
      </div>
      <div class="actions">
        <button type="submit" class="button primary">${editing ? 'Apply changes' : 'Create deployment'}</button>
        <a class="button secondary" href="${editing ? href.deployment(ns, id) : href.deployments(ns)}">Cancel</a>
      </div>
    </form>`.toString();

  const form = $('#deployment-form', main);
  const value = (fid) => form.elements.namedItem(fid).value.trim();
  let mode = 'form';
  let generatedYaml = '';

  /** The deployment the form describes, on top of what is stored (so fields the form does not show are kept). */
  const fromForm = () => {
    const s = clone(spec);
    put(s, 'deploymentTargetId', value('target') || undefined);
    delete s.deploymentTargetName;
    s.template = s.template || {};
    /** @type {Record<string, any>} */
    const t = (s.template.spec = s.template.spec || {});
    /** @type {Record<string, any>} */
    const a = (t.artifact = t.artifact || {});
    a.kind = a.kind || 'JAR';
    put(a, 'jarUri', value('jarUri'));
    put(a, 'flinkVersion', value('flinkVersion'));
    put(a, 'flinkImageTag', value('flinkImageTag'));
    put(a, 'flinkImageRegistry', value('flinkImageRegistry'));
    put(a, 'flinkImageRepository', value('flinkImageRepository'));
    put(t, 'parallelism', numberish(value('parallelism')));
    /** @type {Record<string, any>} */
    const r = (t.resources = t.resources || {});
    for (const [component, cpu, memory] of [
      ['jobmanager', 'jmCpu', 'jmMemory'],
      ['taskmanager', 'tmCpu', 'tmMemory'],
    ]) {
      const c = (r[component] = r[component] || {});
      put(c, 'cpu', numberish(value(cpu)));
      put(c, 'memory', value(memory));
      if (Object.keys(c).length === 0) delete r[component];
    }
    if (Object.keys(r).length === 0) delete t.resources;
    s.upgradeStrategy = { ...(s.upgradeStrategy || {}), kind: value('upgrade') };
    s.restoreStrategy = { ...(s.restoreStrategy || {}), kind: value('restore') };
    const metadata = editing
      ? {
          name: current.metadata.name,
          ...(current.metadata.displayName ? { displayName: current.metadata.displayName } : {}),
          labels: current.metadata.labels || {},
          annotations: current.metadata.annotations || {},
          resourceVersion: current.metadata.resourceVersion,
        }
      : { name: value('name') };
    return { kind: 'Deployment', apiVersion: 'v1', metadata, spec: s };
  };

  const setMode = (next) => {
    if (next === mode) return;
    clearErrors(form);
    if (next === 'yaml') {
      generatedYaml = toYaml(fromForm());
      form.elements.namedItem('yaml').value = generatedYaml;
    }
    $('#yaml-note', main).hidden = !(next === 'form' && form.elements.namedItem('yaml').value !== generatedYaml);
    mode = next;
    $('#form-fields', main).hidden = mode !== 'form';
    $('#yaml-fields', main).hidden = mode !== 'yaml';
    for (const b of $$('[data-mode]', main)) b.setAttribute('aria-pressed', String(b.dataset.mode === mode));
    if (mode === 'yaml') form.elements.namedItem('yaml').focus();
    else if (!$('#yaml-note', main).hidden) announce('YAML edits were not carried back to the form');
  };
  for (const b of $$('[data-mode]', main)) b.addEventListener('click', () => setMode(b.dataset.mode));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const submit = $('button[type="submit"]', form);
    submit.disabled = true;
    try {
      const request = mode === 'yaml' ? { yaml: form.elements.namedItem('yaml').value } : { body: fromForm() };
      const saved = editing ? await api('PUT', paths.deployment(ns, id), request) : await api('POST', paths.deployments(ns), request);
      announce(editing ? `Deployment ${saved.metadata.name} updated` : `Deployment ${saved.metadata.name} created`);
      navigate(href.deployment(ns, saved.metadata.id));
    } catch (err) {
      showError(form, err, mode === 'form' && /already exists/.test(err.message) ? 'metadata.name' : undefined);
    } finally {
      submit.disabled = false;
    }
  });
  if (!editing) form.elements.namedItem('name').focus();
}
