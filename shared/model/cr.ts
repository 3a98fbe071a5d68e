import type { V1ObjectMeta } from '@kubernetes/client-node';
import { z } from 'zod';
import { Bookkeeping } from './common.js';

/**
 * The body of an internal custom resource for an application resource (ARCHITECTURE.md):
 * `spec: {metadata: <VVP metadata>, spec: <VVP spec>}`, `status: <VVP status> + sluice`.
 * Used both to type the CRs and to generate their CRD schemas.
 */
export function crBody<M extends z.ZodType, S extends z.ZodType, T extends z.ZodObject>(metadata: M, spec: S, status: T) {
  return z.object({
    spec: z.strictObject({ metadata, spec }),
    // Every status field is optional in storage: Sluice writes status in steps (the effective
    // spec before any state), and a required field would make the API server refuse those writes.
    status: status.partial().extend({ sluice: Bookkeeping.optional() }).optional(),
  });
}

/** A custom resource as read from the API server: Kubernetes envelope plus a body. */
export type Cr<Body> = {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string; namespace: string };
} & Body;
