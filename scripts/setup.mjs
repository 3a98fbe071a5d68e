// Makes this checkout ready for `npm start` or `npm test` (the argument), doing only what is
// missing: the Debian packages of scripts/system-packages.txt (installed when run as root,
// else named with the one command to run) and the npm dependencies of package-lock.json.
// Plain Node with no dependencies, since it runs before they are installed. When nothing is
// missing it costs a few file checks. The Kubernetes build is cached by its own script.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const mode = process.argv[2];
if (mode !== 'start' && mode !== 'test') {
  process.stderr.write('usage: node scripts/setup.mjs start|test\n');
  process.exit(2);
}
const say = (line) => process.stderr.write(`[setup] ${line}\n`);

function missingPackages() {
  return readFileSync(`${root}/scripts/system-packages.txt`, 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => line.trim().split(/\s+/))
    .filter(([, , neededBy]) => neededBy === 'start' || mode === 'test')
    .filter(([, file]) => !existsSync(file))
    .map(([name]) => name);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    say(`'${[command, ...args].join(' ')}' failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

const missing = missingPackages();
if (missing.length > 0) {
  if (process.getuid?.() !== 0) {
    say(`missing Debian packages: ${missing.join(' ')}`);
    say('install them once with: sudo scripts/install-system-deps.sh');
    process.exit(1);
  }
  say(`installing missing Debian packages: ${missing.join(' ')}`);
  run('bash', ['scripts/install-system-deps.sh']);
  const still = missingPackages();
  if (still.length > 0) {
    say(`still missing after the install: ${still.join(' ')}`);
    process.exit(1);
  }
}

// npm ci when node_modules was not installed from this exact lock file.
const stamp = `${root}/node_modules/.sluice-lock-sha256`;
const lockHash = createHash('sha256')
  .update(readFileSync(`${root}/package-lock.json`))
  .digest('hex');
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lockHash) {
  say('installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
  writeFileSync(stamp, lockHash);
}
