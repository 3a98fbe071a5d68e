// @ts-check
/* global document, window, setTimeout, clearTimeout, navigator, CSS */
// Small DOM helpers: escaped HTML templates, region updates that keep focus, field errors.

class Raw {
  constructor(s) {
    this.s = s;
  }
  toString() {
    return this.s;
  }
}

/** Marks a string as trusted HTML (only for output of `html`). */
export const raw = (s) => new Raw(String(s));

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escape = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);

function part(v) {
  if (v === undefined || v === null || v === false) return '';
  if (v instanceof Raw) return v.s;
  if (Array.isArray(v)) return v.map(part).join('');
  return escape(v);
}

/** Tagged template: every interpolated value is escaped unless it is itself `html` output. */
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => {
    out += part(v) + strings[i + 1];
  });
  return new Raw(out);
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/**
 * Replaces an element's content only when it changed, and gives focus back to the element
 * with the same `data-key` (or id) afterwards, so that a 2 s poll never throws a keyboard
 * user out of a table.
 * @param {HTMLElement | null} el
 * @param {unknown} content
 */
export function patch(el, content) {
  if (!el) return false;
  const text = part(content);
  if (el.dataset.rendered === text) return false;
  const active = /** @type {HTMLElement | null} */ (document.activeElement);
  const key = active && el.contains(active) ? active.dataset.key || active.id : undefined;
  el.innerHTML = text;
  el.dataset.rendered = text;
  if (key) {
    const again = /** @type {HTMLElement | null} */ (el.querySelector(`[data-key="${CSS.escape(key)}"]`) || document.getElementById(key));
    if (again) again.focus();
  }
  return true;
}

/** Says something to screen readers (and keeps it visible for nobody else). */
export function announce(message) {
  const el = document.getElementById('announcer');
  if (!el) return;
  el.textContent = '';
  setTimeout(() => {
    el.textContent = message;
  }, 50);
}

/** The field path a server message starts with, e.g. `spec.template.spec.parallelism`. */
export function fieldPathOf(message) {
  const m = /^((?:[A-Za-z_][\w-]*)(?:\.[A-Za-z_][\w-]*|\[\d+\])*):\s/.exec(String(message || ''));
  return m ? m[1] : undefined;
}

/** The field of a form that a path names: exact `data-path` match, else the longest prefix, else the catch-all (`data-path="*"`). */
export function fieldFor(form, path) {
  const fields = $$('[data-path]', form).filter((f) => !f.disabled && !f.closest('[hidden]'));
  if (!path) return fields.find((f) => f.dataset.path.split(' ').includes('*'));
  let best;
  let bestLen = -1;
  for (const f of fields) {
    for (const p of f.dataset.path.split(' ')) {
      if (p === '*') {
        if (bestLen < 0) best = f;
        continue;
      }
      const hit = path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`);
      if (hit && p.length > bestLen) {
        best = f;
        bestLen = p.length;
      }
    }
  }
  return best;
}

export function clearErrors(form) {
  for (const f of $$('[aria-invalid="true"]', form)) f.removeAttribute('aria-invalid');
  for (const e of $$('.field-error, .form-error', form)) {
    e.textContent = '';
    e.hidden = true;
  }
}

/**
 * Shows a refused request beside the field its message names (or at the top of the form),
 * marks the field invalid and moves focus to it. `path` overrides the one the message names.
 */
export function showError(form, err, path) {
  clearErrors(form);
  const message = err && err.message ? err.message : String(err);
  const field = fieldFor(form, path || fieldPathOf(message));
  const slot = field ? document.getElementById(`${field.id}-error`) : undefined;
  if (field && slot) {
    field.setAttribute('aria-invalid', 'true');
    slot.textContent = message;
    slot.hidden = false;
    field.focus();
    announce(message);
    return field;
  }
  const box = $('.form-error', form);
  if (box) {
    box.textContent = message;
    box.hidden = false;
    box.focus();
  }
  announce(message);
  return undefined;
}

let fieldSeq = 0;
/**
 * @typedef {object} FieldOptions
 * @property {string} [id]
 * @property {string} label
 * @property {string} [path] the field path(s) of server messages that belong beside it, space-separated
 * @property {string} [value]
 * @property {string} [type]
 * @property {string} [hint]
 * @property {boolean} [required]
 * @property {string} [attrs] raw attributes of the input
 * @property {Raw} [control] a control of its own instead of an input
 */
/**
 * One labelled input with its hint and error slot.
 * @param {FieldOptions} options
 */
export function field({ id, label, path, value = '', type = 'text', hint, required, attrs = '', control }) {
  const fid = id || `f${++fieldSeq}`;
  const describedBy = [hint ? `${fid}-hint` : '', `${fid}-error`].filter(Boolean).join(' ');
  const input =
    control ||
    html`<input
      id="${fid}"
      name="${fid}"
      type="${type}"
      value="${value}"
      data-path="${path || ''}"
      aria-describedby="${describedBy}"
      ${required ? raw('aria-required="true"') : ''}
      ${raw(attrs)}
    />`;
  return html`<div class="field">
    <label for="${fid}">${label}</label>${required ? html`<span class="req" aria-hidden="true" title="required">*</span>` : ''} ${input}
    ${hint ? html`<p class="hint" id="${fid}-hint">${hint}</p>` : ''}
    <p class="field-error" id="${fid}-error" hidden></p>
  </div>`;
}

/** @param {FieldOptions & { id: string, options: { value: string, label: string }[] }} options */
export function select({ id, label, path, options, value, hint, required }) {
  const describedBy = [hint ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' ');
  const control = html`<select id="${id}" name="${id}" data-path="${path || ''}" aria-describedby="${describedBy}">
    ${options.map((o) => html`<option value="${o.value}" ${o.value === value ? raw('selected') : ''}>${o.label}</option>`)}
  </select>`;
  return field({ id, label, hint, required, control });
}

/** Seconds/minutes/hours/days since an ISO time, in a <time> element. */
export function age(iso) {
  if (!iso) return html`<span class="muted">–</span>`;
  const t = new Date(iso);
  const s = Math.max(0, Math.round((Date.now() - t.getTime()) / 1000));
  const text =
    s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86400 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
  return html`<time datetime="${t.toISOString()}" title="${t.toLocaleString()}">${text}</time>`;
}

export function when(iso) {
  if (!iso) return html`<span class="muted">–</span>`;
  const t = new Date(iso);
  return html`<time datetime="${t.toISOString()}">${t.toLocaleString()}</time>`;
}

const STATE_CLASS = {
  RUNNING: 'ok',
  STARTED: 'ok',
  READY: 'ok',
  COMPLETED: 'ok',
  FINISHED: 'ok',
  Running: 'ok',
  Succeeded: 'ok',
  LIFECYCLE_PHASE_ACTIVE: 'ok',
  TRANSITIONING: 'busy',
  STARTING: 'busy',
  TERMINATING: 'busy',
  Pending: 'busy',
  Terminating: 'busy',
  FAILED: 'bad',
  NOT_READY: 'bad',
  Failed: 'bad',
  SUSPENDED: 'idle',
  CANCELLED: 'idle',
  TERMINATED: 'idle',
};

/** A state as a labelled badge (colour is never the only cue: the text is the state). */
export function badge(state) {
  const s = state || 'UNKNOWN';
  return html`<span class="badge ${STATE_CLASS[s] || 'idle'}">${s.replace(/^LIFECYCLE_PHASE_/, '')}</span>`;
}

/**
 * Runs `tick` now and every `ms` while the page is shown; returns a stop function. Ticks
 * never overlap, and a hidden tab polls no more until it is visible again.
 */
export function poll(tick, ms = 2000) {
  let stopped = false;
  let timer;
  const run = async () => {
    if (stopped) return;
    if (document.visibilityState !== 'hidden') {
      try {
        await tick();
      } catch (err) {
        if (!err || err.name !== 'AbortError') window.console.warn(err);
      }
    }
    if (!stopped) timer = setTimeout(run, ms);
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Copies text; falls back to selecting it where the clipboard API is not allowed (plain http). */
export async function copy(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (input) {
      input.focus();
      input.select();
    }
    return false;
  }
}

/**
 * Two-step destructive buttons in a region that is re-rendered by polling: the first press
 * arms a key (the button re-renders as "Confirm …", focused), the second within 8 s runs
 * the action. State lives here, not in the DOM, so a re-render keeps it.
 */
export function confirmations(rerender) {
  let armedKey;
  let timer;
  const disarm = () => {
    clearTimeout(timer);
    if (armedKey === undefined) return;
    armedKey = undefined;
    rerender();
  };
  return {
    isArmed: (key) => armedKey === key,
    async press(key, action) {
      if (armedKey !== key) {
        clearTimeout(timer);
        armedKey = key;
        rerender();
        const btn = /** @type {HTMLElement | null} */ (document.querySelector(`[data-key="${CSS.escape(key)}"]`));
        if (btn) btn.focus();
        timer = setTimeout(disarm, 8000);
        return;
      }
      clearTimeout(timer);
      armedKey = undefined;
      rerender();
      await action();
    },
    disarm,
  };
}

/**
 * Wires the two-step delete buttons (`data-delete`, `data-key`) of a list region: the
 * second press calls the API, announces the deletion and reloads; a refusal (e.g. the
 * 409 of a target still in use) is shown in `listError`, with the server's reason.
 */
export function deleteButtons({ region, confirm, listError, remove, label, reload }) {
  region.addEventListener('click', (e) => {
    const btn = e.target.closest('[data-delete]');
    if (!btn) return;
    const name = btn.dataset.delete;
    void confirm.press(btn.dataset.key, async () => {
      listError.hidden = true;
      try {
        await remove(name);
        announce(`${label} ${name} deleted`);
        await reload();
      } catch (err) {
        listError.textContent = `Cannot delete ${name}: ${err.message}`;
        listError.hidden = false;
        listError.focus();
      }
    });
  });
}
