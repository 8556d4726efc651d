/**
 * The GitHub Actions workflows: the ones projen generates (build, release to
 * every registry, dependency upgrades, PR title lint) and the deploy
 * workflow the examples document, checked offline with actionlint (installed
 * by scripts/test-all.sh from the Go module proxy).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');

/** actionlint on PATH or in Go's bin directory; the setup fails with the install command when missing. */
function actionlint(): string {
  const candidates = ['actionlint'];
  try {
    candidates.push(path.join(execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim(), 'bin', 'actionlint'));
  } catch {
    // No Go: only PATH.
  }
  const found = candidates.find((c) => spawnSync(c, ['-version']).status === 0);
  if (!found) throw new Error('actionlint not found. Install it: go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 (scripts/test-all.sh does)');
  return found;
}

const workflows = fs.readdirSync(path.join(ROOT, '.github', 'workflows')).map((f) => path.join('.github', 'workflows', f));

test('shellcheck is there, so the run: scripts are checked too', () => {
  expect(spawnSync('shellcheck', ['--version']).status).toBe(0);
});

test('projen generates the build, release, upgrade and PR-lint workflows', () => {
  expect(workflows.map((w) => path.basename(w)).sort()).toEqual(['build.yml', 'pull-request-lint.yml', 'release.yml', 'upgrade-main.yml']);
  const release = fs.readFileSync(path.join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8');
  for (const job of ['release_npm', 'release_pypi', 'release_maven', 'release_nuget', 'release_golang']) expect(release).toContain(`${job}:`);
  for (const secret of ['NPM_TOKEN', 'TWINE_PASSWORD', 'MAVEN_PASSWORD', 'NUGET_API_KEY', 'GO_GITHUB_TOKEN']) expect(release).toContain(`secrets.${secret}`);
  // The build workflow installs the same test services as .ci/run before building.
  expect(fs.readFileSync(path.join(ROOT, '.github', 'workflows', 'build.yml'), 'utf8')).toContain('./scripts/test-all.sh --install-only');
});

/**
 * actionlint runs shellcheck on every `run:` script (scripts/test-all.sh
 * installs it). The scripts of projen's generated workflows have info- and
 * style-level findings (unquoted `$VAR`, `! -z`) that only projen can change:
 * those are ignored there, and nothing else; the examples' own workflow is
 * checked in full.
 */
const GENERATED_SCRIPT_NOTES = 'shellcheck reported issue in this script: SC[0-9]+:(info|style):';

test.each([...workflows, 'examples/github-actions/deploy.yml'])('%s passes actionlint', (file) => {
  const ignore = file.startsWith('.github/') ? ['-ignore', GENERATED_SCRIPT_NOTES] : [];
  const out = spawnSync(actionlint(), ['-no-color', ...ignore, file], { cwd: ROOT, encoding: 'utf8' });
  expect({ file, problems: out.stdout.trim() }).toEqual({ file, problems: '' });
  expect(out.status).toBe(0);
});

test('the deploy workflow assumes a role through OIDC and keeps no AWS keys', () => {
  const deploy = fs.readFileSync(path.join(ROOT, 'examples', 'github-actions', 'deploy.yml'), 'utf8');
  expect(deploy).toMatch(/id-token: write/);
  expect(deploy).toMatch(/role-to-assume: \$\{\{ vars\.AWS_DEPLOY_ROLE_ARN \}\}/);
  expect(deploy).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
});
