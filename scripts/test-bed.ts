/**
 * Starts the test bed by hand, to poke at it with kubectl or to run one test file against a
 * bed that outlives it: `npx tsx scripts/test-bed.ts [dir]` prints the variables to export,
 * then runs until Ctrl-C. Default dir: .sluice/test-bed (ignored by git).
 */
import { resolve } from 'node:path';
import { ensureKubeBinaries } from '../shared/local/cluster.js';
import { bedEnvironment, startTestBed } from '../test/global-setup.js';

const dir = resolve(process.argv[2] ?? '.sluice/test-bed');
const { bed, stop } = await startTestBed(dir, (line) => process.stderr.write(`[test-bed] ${line}\n`));
for (const [name, value] of Object.entries(bedEnvironment(bed))) console.log(`export ${name}='${value}'`);
const bin = await ensureKubeBinaries(() => {});
console.log(`# kubectl: ${bin}/kubectl --kubeconfig ${bed.kubeconfig} get pods -A`);
await new Promise<void>((done) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => done());
});
await stop();
