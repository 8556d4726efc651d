import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { EXAMPLES } from './registry';

/**
 * W3005 (a DependsOn that a GetAtt already implies) is harmless redundancy
 * that aws-cdk-lib itself emits: for its singleton functions, and for a VPC
 * function's dependency on its role, which it adds so the ENI permissions
 * exist before the function.
 */
const IGNORED = new Set(['W3005']);

test.each(EXAMPLES)('cfn-lint finds no error or warning in examples/%s', (_name, build) => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfnlint-'));
  try {
    const app = new App({ outdir, context: { '@aws-cdk/aws-ec2:restrictDefaultSecurityGroup': true } });
    // Environment-agnostic, as the example is without credentials: AZs come from Fn::GetAZs.
    const stack = build(app);
    app.synth();
    let out = '[]';
    try {
      out = execFileSync('cfn-lint', ['--format', 'json', path.join(outdir, `${stack.stackName}.template.json`)], { encoding: 'utf8' });
    } catch (e: any) {
      if (e.code === 'ENOENT') throw new Error('cfn-lint is not installed: pip install cfn-lint');
      out = e.stdout; // non-zero exit when it finds something
    }
    const findings = (JSON.parse(out) as any[])
      .filter((f) => !IGNORED.has(f.Rule.Id))
      .map((f) => `${f.Rule.Id} ${f.Location.Path.join('/')}: ${f.Message}`);
    expect(findings).toEqual([]);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
