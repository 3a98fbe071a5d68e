import { z } from 'zod';

type Issue = z.core.$ZodIssue;
type PathSegment = PropertyKey;

/**
 * A field path as users write it: `spec.template.spec.parallelism`, `members[0]`, and
 * keys that are not identifiers quoted, as in `flinkConfiguration["state.checkpoints.dir"]`.
 */
export function formatPath(path: readonly PathSegment[], prefix?: string): string {
  let out = prefix ?? '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = String(seg);
      if (/^[A-Za-z_$][\w$-]*$/.test(key)) out += out ? `.${key}` : key;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

const TYPE_NAMES: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean (true or false)',
  object: 'an object',
  record: 'an object',
  array: 'a list',
  null: 'null',
  bigint: 'an integer',
  date: 'a date',
};

/** zod's names of received types (when the input itself was not reported). */
const RECEIVED_NAMES: Record<string, string> = {
  array: 'a list',
  object: 'an object',
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
};

/** A value as an error message quotes it: strings quoted and cut, containers by kind. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') {
    const s = v.length > 60 ? `${v.slice(0, 57)}...` : v;
    return JSON.stringify(s);
  }
  return String(v);
}

/** zod's own wording: replaced by ours. Any other message was written for this schema and is kept. */
const DEFAULT_MESSAGE =
  /^(Invalid input|Invalid option|Invalid string|Invalid (GUID|UUID|ISO|email|url|key|element|number)|Too (small|big)|Unrecognized key|Invalid$|Invalid date)/;

function received(issue: Issue): string | undefined {
  if ('input' in issue && issue.input !== undefined) return describeValue(issue.input);
  const m = /received (\w+)$/.exec(issue.message);
  return m ? (RECEIVED_NAMES[m[1]!] ?? m[1]) : undefined;
}

function bound(issue: { minimum?: unknown; maximum?: unknown; inclusive?: boolean; origin?: string }, small: boolean): string {
  const n = Number(small ? issue.minimum : issue.maximum);
  switch (issue.origin) {
    case 'string':
      if (small && n === 1) return 'must not be empty';
      return small ? `must be at least ${n} characters long` : `must be at most ${n} characters long`;
    case 'array':
    case 'set':
      if (small && n === 1) return 'must not be empty';
      return small ? `must have at least ${n} items` : `must have at most ${n} items`;
    default:
      return small ? `must be ${issue.inclusive ? '>=' : '>'} ${n}` : `must be ${issue.inclusive ? '<=' : '<'} ${n}`;
  }
}

/** One issue as `path: message` lines (an unknown-keys issue names each key's own path). */
function describe(issue: Issue, prefix: string | undefined): string[] {
  const at = (path: readonly PathSegment[], text: string) => {
    const p = formatPath(path, prefix);
    return p ? `${p}: ${text}` : text;
  };
  const custom = !DEFAULT_MESSAGE.test(issue.message);
  switch (issue.code) {
    case 'invalid_type': {
      if (custom) return [at(issue.path, issue.message)];
      const got = received(issue);
      if (got === 'undefined') return [at(issue.path, 'required')];
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      return [at(issue.path, `expected ${expected}${got ? `, got ${got}` : ''}`)];
    }
    case 'unrecognized_keys':
      return issue.keys.map((k) => at([...issue.path, k], 'unknown field'));
    case 'invalid_value': {
      if (custom) return [at(issue.path, issue.message)];
      const values = issue.values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      const got = 'input' in issue && issue.input !== undefined ? `, got ${describeValue(issue.input)}` : '';
      return [at(issue.path, values.length === 1 ? `must be ${values[0]}${got}` : `expected one of ${values.join(', ')}${got}`)];
    }
    case 'too_small':
      return [at(issue.path, custom ? issue.message : bound(issue, true))];
    case 'too_big':
      return [at(issue.path, custom ? issue.message : bound(issue, false))];
    case 'not_multiple_of':
      return [at(issue.path, custom ? issue.message : `must be a multiple of ${String(issue.divisor)}`)];
    case 'invalid_format': {
      if (custom) return [at(issue.path, issue.message)];
      const fmt = issue.format;
      const text =
        fmt === 'uuid' || fmt === 'guid'
          ? 'must be a UUID'
          : fmt === 'datetime'
            ? 'must be an RFC 3339 date-time such as 2024-01-31T12:00:00Z'
            : `has an invalid format (${fmt === 'regex' && 'pattern' in issue ? `must match ${String(issue.pattern)}` : fmt})`;
      return [at(issue.path, text)];
    }
    case 'invalid_union': {
      // The branch that got furthest (fewest problems) says most about what was meant.
      const branches = issue.errors.filter((e) => e.length > 0).sort((a, b) => a.length - b.length);
      const best = branches[0];
      if (!best || custom) return [at(issue.path, custom ? issue.message : 'does not match any allowed form')];
      return best.flatMap((sub) => describe({ ...sub, path: [...issue.path, ...sub.path] } as Issue, prefix));
    }
    case 'invalid_key':
      return issue.issues.flatMap((sub) => describe({ ...sub, path: [...issue.path] } as Issue, prefix)).map((m) => `${m} (in a key)`);
    case 'invalid_element':
      return issue.issues.flatMap((sub) => describe({ ...sub, path: [...issue.path, ...sub.path] } as Issue, prefix));
    default:
      return [at(issue.path, issue.message)];
  }
}

const MAX_REPORTED = 8;

/**
 * One clear message for a failed validation, naming each field at fault, e.g.
 * `spec.template.spec.parallelism: expected an integer, got 1.5`. `prefix` is put before
 * every path (e.g. "spec" when a spec was validated on its own). Several problems are
 * joined with "; ".
 */
export function formatZodError(err: z.ZodError | { issues: readonly Issue[] }, prefix?: string): string {
  const lines = [...new Set(err.issues.flatMap((i) => describe(i, prefix)))];
  if (lines.length === 0) return prefix ? `${prefix}: invalid` : 'invalid input';
  const shown = lines.slice(0, MAX_REPORTED).join('; ');
  return lines.length > MAX_REPORTED ? `${shown}; and ${lines.length - MAX_REPORTED} more` : shown;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Validates with a schema and returns either the parsed value or one message for a 4xx.
 * Offending values are quoted in the message (`got "sqlscripts"`), which is why this
 * parses with `reportInput`.
 */
export function check<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): Checked<z.output<S>> {
  const r = schema.safeParse(value, { reportInput: true });
  return r.success ? { ok: true, value: r.data } : { ok: false, message: formatZodError(r.error, prefix) };
}
