/** The VVP resource model: zod schemas (the one source of truth), their types, naming and CRDs. */
export * from './common.js';
export * from './errors.js';
export * from './naming.js';
export * from './namespace.js';
export * from './target.js';
export * from './deployment.js';
export * from './deployment-defaults.js';
export * from './job.js';
export * from './savepoint.js';
export * from './apitoken.js';
export * from './cr.js';
export * from './structural.js';
export * from './crds.js';
export { VVP_DEPLOYMENT_CR_SCHEMA } from './vvp-deployment-cr-schema.js';
