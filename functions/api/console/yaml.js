// @ts-check
// A YAML writer for JSON values (block style, like kubectl). Parsing is the server's job:
// the editor sends its text as application/yaml and shows the server's verdict.

const RESERVED = /^(true|false|null|yes|no|on|off|y|n|~)$/i;
const NUMBER = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^0o[0-7]+$|^0x[0-9a-fA-F]+$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/;
const PLAIN = /^[A-Za-z0-9_/.][\w./:@+=-]*$/;

/** A string as a plain scalar when that reads back as the same string, else double-quoted (JSON quoting is valid YAML). */
export function scalarString(s) {
  const plain =
    PLAIN.test(s) &&
    !RESERVED.test(s) &&
    !NUMBER.test(s) &&
    !s.endsWith(':') &&
    !s.includes(': ') &&
    !(/^[0-9]/.test(s) && s.includes(':'));
  return plain ? s : JSON.stringify(s);
}

function scalar(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
  return scalarString(String(v));
}

const isMap = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isEmpty = (v) => (Array.isArray(v) ? v.length === 0 : isMap(v) && Object.keys(v).length === 0);

function lines(v, indent) {
  const pad = ' '.repeat(indent);
  const out = [];
  if (Array.isArray(v)) {
    for (const item of v) {
      if ((isMap(item) || Array.isArray(item)) && !isEmpty(item)) {
        const inner = lines(item, indent + 2);
        out.push(`${pad}- ${inner[0].slice(indent + 2)}`, ...inner.slice(1));
      } else {
        out.push(`${pad}- ${isEmpty(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`);
      }
    }
    return out;
  }
  for (const [k, val] of Object.entries(v)) {
    if (val === undefined) continue;
    const key = scalarString(k);
    if (isEmpty(val)) out.push(`${pad}${key}: ${Array.isArray(val) ? '[]' : '{}'}`);
    else if (isMap(val) || Array.isArray(val)) out.push(`${pad}${key}:`, ...lines(val, indent + 2));
    else out.push(`${pad}${key}: ${scalar(val)}`);
  }
  return out;
}

export function toYaml(value) {
  if (!isMap(value) && !Array.isArray(value)) return `${scalar(value)}\n`;
  if (isEmpty(value)) return Array.isArray(value) ? '[]\n' : '{}\n';
  return `${lines(value, 0).join('\n')}\n`;
}

/**
 * The target as YAML for the server to parse: the patch set textarea (JSON or YAML) is
 * embedded as it is, indented under `deploymentPatchSet`, so one parser (the server's)
 * reads both and names the failing operation.
 */
export function targetYaml(name, k8sNamespace, patchSet) {
  const spec = [];
  if (k8sNamespace) spec.push('  kubernetes:', `    namespace: ${scalarString(k8sNamespace)}`);
  if (patchSet.trim())
    spec.push(
      '  deploymentPatchSet:',
      ...patchSet
        .replace(/\t/g, '  ')
        .split('\n')
        .map((l) => `    ${l}`),
    );
  const out = ['kind: DeploymentTarget', 'apiVersion: v1', 'metadata:', `  name: ${scalarString(name)}`];
  if (spec.length) out.push('spec:', ...spec);
  else out.push('spec: {}');
  return `${out.join('\n')}\n`;
}
