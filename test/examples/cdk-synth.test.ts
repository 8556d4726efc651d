import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const examplesDir = path.join(__dirname, '..', '..', 'examples');
const examples = fs.readdirSync(examplesDir).filter((d) => fs.existsSync(path.join(examplesDir, d, 'cdk.json')));

test('every example folder has cdk.json, main.ts and a README', () => {
  expect(examples.sort()).toEqual([
    'batch-kafka', 'batch-spot', 'container-lambda-bastion', 'fargate-postgres', 'lambda-metadata', 'lambda-table', 'scheduled-reports',
  ]);
  expect(fs.existsSync(path.join(examplesDir, 'nag.ts'))).toBe(true);
  for (const d of examples) {
    for (const f of ['cdk.json', 'main.ts', 'stack.ts', 'README.md']) {
      expect(fs.existsSync(path.join(examplesDir, d, f))).toBe(true);
    }
  }
});

// The real CLI, as a user runs it: main.ts also runs cdk-nag and fails on any finding.
test.each(examples)('`cdk synth` succeeds in examples/%s without an AWS account or Docker, and the processor runs on Node.js 24', (dir) => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-'));
  try {
    execFileSync('npx', ['cdk', 'synth', '--quiet', '-c', 'email=ops@example.com', '--output', outdir], {
      cwd: path.join(examplesDir, dir),
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', CDK_DISABLE_VERSION_CHECK: '1' },
      stdio: 'pipe',
    });
    const templates = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
    expect(templates).toHaveLength(1);
    const template = JSON.parse(fs.readFileSync(path.join(outdir, templates[0]), 'utf8'));
    const resources = Object.values(template.Resources) as any[];
    const imageProcessor = resources.some((r) => (r.Type === 'AWS::Lambda::Function' && r.Properties.PackageType === 'Image')
      || r.Type === 'AWS::ECS::TaskDefinition' || r.Type === 'AWS::Batch::JobDefinition');
    if (imageProcessor) {
      // The package's image is only recorded (no Docker): one image asset, its build context staged with
      // the Dockerfile, whose base is Node.js 24.
      const assets = JSON.parse(fs.readFileSync(path.join(outdir, templates[0].replace('.template.json', '.assets.json')), 'utf8'));
      const images = Object.values(assets.dockerImages ?? {}) as any[];
      expect(images).toHaveLength(1);
      const dockerfile = fs.readFileSync(path.join(outdir, images[0].source.directory, 'Dockerfile'), 'utf8');
      expect(dockerfile).toMatch(/^ARG NODE_IMAGE=\S*node:24[-\w]*$/m);
    } else {
      expect(resources.some((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Runtime === 'nodejs24.x')).toBe(true);
    }
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
