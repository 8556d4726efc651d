/**
 * The container processors' Dockerfile (src/processor/container/Dockerfile),
 * linted offline with dockerfile-utils and parsed with dockerfile-ast: no
 * Docker engine here, and nothing in the tests builds an image. The image's
 * command is the package CLI, whose `run` is tested as a process in
 * test/runtime/run-command.test.ts; here, the bundle the image copies is run
 * with the image's ENTRYPOINT and CMD.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DockerfileParser, Instruction } from 'dockerfile-ast';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import { build } from 'esbuild';
import { bundleCli, ROOT } from '../runtime/cli-bundle';

const SOURCE = path.join(ROOT, 'src/processor/container/Dockerfile');
const content = fs.readFileSync(SOURCE, 'utf8');
const dockerfile = DockerfileParser.parse(content);
const froms = dockerfile.getFROMs();
const finalFrom = froms[froms.length - 1];
/** The instructions of the final stage (after the last FROM). */
const finalStage: Instruction[] = dockerfile.getInstructions().filter((i) => i.getRange().start.line > finalFrom.getRange().start.line);
const args = (i: Instruction) => i.getExpandedArguments().map((a) => a.getValue());
const keyword = (k: string) => finalStage.filter((i) => i.getKeyword() === k);
const jsonForm = (k: 'ENTRYPOINT' | 'CMD') => {
  const found = k === 'ENTRYPOINT' ? dockerfile.getENTRYPOINTs() : dockerfile.getCMDs();
  expect(found).toHaveLength(1);
  const strings = found[0].getJSONStrings().map((s) => s.getJSONValue());
  expect(strings.length).toBeGreaterThan(0); // exec form: signals reach node, no shell in between
  return strings;
};

test('dockerfile-utils finds no problem, with its optional checks raised to errors', () => {
  const E = ValidationSeverity.ERROR;
  const problems = validate(content, {
    deprecatedMaintainer: E,
    directiveCasing: E,
    emptyContinuationLine: E,
    instructionCasing: E,
    instructionCmdMultiple: E,
    instructionEntrypointMultiple: E,
    instructionHealthcheckMultiple: E,
    instructionJSONInSingleQuotes: E,
    instructionWorkdirRelative: E,
  });
  expect(problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`)).toEqual([]);
});

test('the lint is not vacuous: it reports a second ENTRYPOINT and a relative WORKDIR', () => {
  const E = ValidationSeverity.ERROR;
  const bad = 'FROM node:24-slim\nWORKDIR app\nENTRYPOINT ["node"]\nENTRYPOINT ["node", "x.js"]\n';
  const problems = validate(bad, { instructionEntrypointMultiple: E, instructionWorkdirRelative: E });
  expect(problems.length).toBeGreaterThanOrEqual(2);
});

test('the base image is Node.js 24 from ECR Public, pinned by a tag (never latest)', () => {
  const image = args(finalFrom)[0];
  expect(image).toBe('public.ecr.aws/docker/library/node:24-bookworm-slim');
  const tag = image.split(':')[1];
  expect(tag).toMatch(/^24(\.\d+){0,2}-[a-z]+-slim$/);
  // No --platform in FROM: the image builds for linux/amd64 and linux/arm64 alike.
  expect(froms.every((f) => f.getPlatformFlag() === null)).toBe(true);
});

test('the final stage runs as a non-root user', () => {
  const users = keyword('USER');
  expect(users.length).toBeGreaterThan(0);
  const user = args(users[users.length - 1])[0].split(':')[0];
  expect(['root', '0', '']).not.toContain(user);
  // Nothing runs as root after the last USER.
  const lastUser = users[users.length - 1].getRange().start.line;
  expect(keyword('RUN').filter((r) => r.getRange().start.line > lastUser)).toEqual([]);
});

test('the final stage installs nothing and keeps no package manager or build tool', () => {
  const runs = keyword('RUN').map((r) => r.getArgumentsContent() ?? '');
  for (const run of runs) {
    expect(run).not.toMatch(/\b(npm|npx|yarn|pnpm|corepack)\s+(install|ci|add|i)\b/);
    expect(run).not.toMatch(/\b(apt-get|apt|apk|yum|dnf|microdnf)\s+(install|add|upgrade)\b/);
    expect(run).not.toMatch(/\b(gcc|g\+\+|make|python3?|node-gyp)\b/);
  }
  // The base image's package managers and their caches are removed.
  const removed = runs.join(' ');
  for (const p of ['/usr/local/lib/node_modules/npm', '/usr/local/bin/npm', '/usr/local/bin/npx', '/usr/local/lib/node_modules/corepack', '/root/.npm']) {
    expect(removed).toContain(p);
  }
  // Only the bundles are copied in (the CLI and the Lambda entry): no package.json, no node_modules.
  expect(keyword('COPY').map(args)).toEqual([['cli/', '/app/cli/'], ['lambda/', '/app/lambda/']]);
  expect(keyword('ADD')).toEqual([]);
});

test('ENTRYPOINT is the package CLI in exec form, CMD is run, SIGTERM stops it', () => {
  expect(jsonForm('ENTRYPOINT')).toEqual(['node', '--enable-source-maps', '/app/cli/index.js']);
  expect(jsonForm('CMD')).toEqual(['run']);
  expect(keyword('STOPSIGNAL').map(args)).toEqual([['SIGTERM']]);
});

describe('the build context', () => {
  let context: string;
  beforeAll(async () => {
    context = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-image-'));
    fs.copyFileSync(SOURCE, path.join(context, 'Dockerfile'));
    await bundleCli(path.join(context, 'cli', 'index.js'));
    // The container-image Lambda's entry, bundled as bundle:runtime/entry/container-lambda does.
    await build({
      entryPoints: [path.join(ROOT, 'src/runtime/entry/container-lambda.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      external: ['pg-native'],
      outfile: path.join(context, 'lambda', 'index.js'),
      logLevel: 'silent',
    });
  });
  afterAll(() => fs.rmSync(context, { recursive: true, force: true }));

  test('npx projen bundle makes it as assets/container/: the Dockerfile, the CLI bundle and the Lambda entry', () => {
    const tasks = JSON.parse(fs.readFileSync(path.join(ROOT, '.projen/tasks.json'), 'utf8')).tasks;
    expect(tasks.bundle.steps).toContainEqual({ spawn: 'bundle:container' });
    // The Lambda entry is bundled before bundle:container copies it.
    const spawns = tasks.bundle.steps.map((s: { spawn?: string }) => s.spawn);
    expect(spawns.indexOf('bundle:runtime/entry/container-lambda')).toBeGreaterThanOrEqual(0);
    expect(spawns.indexOf('bundle:runtime/entry/container-lambda')).toBeLessThan(spawns.indexOf('bundle:container'));
    expect(tasks['bundle:container'].steps.map((s: { exec: string }) => s.exec)).toEqual([
      'rm -rf assets/container && mkdir -p assets/container/cli assets/container/lambda',
      'cp src/processor/container/Dockerfile assets/container/Dockerfile',
      'cp assets/runtime/entry/cli/main/index.js assets/runtime/entry/cli/main/index.js.map assets/container/cli/',
      'cp assets/runtime/entry/container-lambda/index.js assets/runtime/entry/container-lambda/index.js.map assets/container/lambda/',
    ]);
    // The npm package ships assets/ (and not src/).
    const npmignore = fs.readFileSync(path.join(ROOT, '.npmignore'), 'utf8').split('\n');
    expect(npmignore).toContain('!/assets/');
    expect(npmignore).toContain('/src/');
  });

  test('every COPY source exists in the context, and the image command runs', () => {
    for (const copy of keyword('COPY')) {
      expect(fs.existsSync(path.join(context, args(copy)[0]))).toBe(true);
    }
    const [node, ...nodeArgs] = jsonForm('ENTRYPOINT');
    expect(node).toBe('node');
    const script = nodeArgs.map((a) => (a.startsWith('/app/') ? path.join(context, a.slice('/app/'.length)) : a));
    const run = (cmd: string[]) => spawnSync(process.execPath, [...script, ...cmd], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 });
    // The default CMD without the flags the processor passes: a usage error naming the flag.
    const bare = run(jsonForm('CMD'));
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain('Missing --bucket');
    const help = run(['run', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Exit status:');
  });
});

test('the container-image Lambda runs the image\'s Lambda entry (/app/lambda/index.js) instead of the CLI', () => {
  // The entry point Processor.lambdaContainer() sets must be a file the image copies.
  const { CONTAINER_LAMBDA_ENTRYPOINT } = jest.requireActual('../../src/processor/container-image');
  expect(CONTAINER_LAMBDA_ENTRYPOINT).toEqual(['node', '--enable-source-maps', '/app/lambda/index.js']);
  const lambdaCopy = keyword('COPY').map(args).find(([, to]) => to === '/app/lambda/');
  expect(lambdaCopy).toEqual(['lambda/', '/app/lambda/']);
});
