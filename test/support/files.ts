import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The repository's files that tests read: the user-facing examples in `examples/` and the
 * test-only fixtures in `test/fixtures/`. Tests read nothing outside the repository.
 */
const ROOT = new URL('../../', import.meta.url);

export const repoPath = (relative: string): string => fileURLToPath(new URL(relative, ROOT));
export const examplePath = (name: string): string => repoPath(`examples/${name}`);
export const exampleText = (name: string): string => readFileSync(examplePath(name), 'utf8');
export const fixturePath = (name: string): string => repoPath(`test/fixtures/${name}`);
export const fixtureText = (name: string): string => readFileSync(fixturePath(name), 'utf8');

/** The placeholder VVP's TopSpeedWindowing example leaves for its Deployment Target's id. */
export const TARGET_ID_PLACEHOLDER = '%%ID_OF_VVP_JOBS_DEPLOYMENT_TARGET%%';

/** examples/top-speed-windowing.yaml with its target id filled in, as VVP's guide says. */
export const topSpeedWindowingYaml = (targetId: string): string =>
  exampleText('top-speed-windowing.yaml').replace(TARGET_ID_PLACEHOLDER, targetId);
