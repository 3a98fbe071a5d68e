import { BadInput } from '../runtime/errors.js';

/**
 * Kubernetes label selectors (`tier=web,env!=prod,team in (a,b),!legacy,canary`), as VVP's
 * `labelSelector` query parameter takes them, matched against a resource's VVP labels.
 */
export type Requirement = { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | 'absent' };

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on the commas between requirements (not those inside `in (a,b)`). */
function requirementsOf(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key)) throw new BadInput(`labelSelector: '${key}' is not a valid label key (in '${selector}')`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value)) throw new BadInput(`labelSelector: '${value}' is not a valid label value (in '${selector}')`);
  return value;
}

/** Parses a selector; an empty one selects everything. A malformed one is a 400 naming the part at fault. */
export function parseLabelSelector(selector: string): Requirement[] {
  if (selector.trim() === '') return [];
  return requirementsOf(selector).map((part): Requirement => {
    if (part === '') throw new BadInput(`labelSelector: an empty requirement in '${selector}'`);
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (set) {
      const values = set[3]!.split(',').map((v) => checkValue(v.trim(), selector));
      return { key: checkKey(set[1]!, selector), op: set[2] as 'in' | 'notin', values };
    }
    const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (cmp) {
      const value = checkValue(cmp[3]!, selector);
      return { key: checkKey(cmp[1]!, selector), op: cmp[2] === '!=' ? 'notin' : 'in', values: [value] };
    }
    if (part.startsWith('!')) return { key: checkKey(part.slice(1).trim(), selector), op: 'absent' };
    return { key: checkKey(part, selector), op: 'exists' };
  });
}

/** Whether labels satisfy every requirement (as in Kubernetes: `notin` and `!=` match an absent label). */
export function matchesSelector(requirements: readonly Requirement[], labels: Record<string, string> | undefined): boolean {
  return requirements.every((r) => {
    const value = labels?.[r.key];
    switch (r.op) {
      case 'exists':
        return value !== undefined;
      case 'absent':
        return value === undefined;
      case 'in':
        return value !== undefined && r.values.includes(value);
      case 'notin':
        return value === undefined || !r.values.includes(value);
    }
  });
}
