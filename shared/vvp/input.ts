import type { z } from 'zod';
import { DeploymentInput, DeploymentTargetInput, SavepointInput, check } from '../model/index.js';
import { BadInput } from '../runtime/errors.js';

/**
 * Request bodies, validated with the model's schemas (the same ones the CRDs are
 * generated from). A refusal is a 400 whose message names each field at fault.
 */
function validate<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadInput('the body must be an object');
  const r = check(schema, body);
  if (!r.ok) throw new BadInput(r.message);
  return r.value;
}

export const validateDeployment = (body: unknown) => validate(DeploymentInput, body);
export const validateTarget = (body: unknown) => validate(DeploymentTargetInput, body);
export const validateSavepoint = (body: unknown) => validate(SavepointInput, body);

/**
 * How deep user input may nest: far more than any VVP object needs (a pod template is about
 * 12 levels), and little enough that the merges and clones that recurse over it are safe.
 */
export const MAX_NESTING = 64;

/** Why `value` is nested deeper than MAX_NESTING, or undefined; found by an iterative walk, before anything recurses over it. */
export function nestingProblem(value: unknown, what = 'the request body'): string | undefined {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_NESTING) return `${what} is nested more than ${MAX_NESTING} levels deep`;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return undefined;
}

/** Refuses input nested deeper than MAX_NESTING (400). */
export function checkNesting(value: unknown, what = 'the request body'): void {
  const problem = nestingProblem(value, what);
  if (problem) throw new BadInput(problem);
}
