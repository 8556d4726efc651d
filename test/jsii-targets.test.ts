import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');

/**
 * The four jsii targets declared in .projenrc.ts generate code. Packaging them
 * needs toolchains (Python, Maven, .NET, Go) this machine lacks, so this runs
 * `jsii-pacmak --code-only`, which generates the sources without building them.
 */
describe('jsii targets', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'pacmak-'));

  beforeAll(() => {
    // Compile the assembly from the current sources (also proves jsii accepts the public API).
    execFileSync('npx', ['jsii', '--fail-on-warnings'], { cwd: root, stdio: 'pipe' });
    execFileSync('npx', ['jsii-pacmak', '--code-only', '--target', 'python', '--target', 'java', '--target', 'dotnet', '--target', 'go', '--outdir', outdir], { cwd: root, stdio: 'pipe' });
  }, 300_000);

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('every public type and member has TSDoc, and every optional prop documents @default', () => {
    const assembly = JSON.parse(fs.readFileSync(path.join(root, '.jsii'), 'utf8'));
    const problems: string[] = [];
    for (const [fqn, type] of Object.entries<any>(assembly.types)) {
      if (!type.docs?.summary) problems.push(`${fqn}: no TSDoc`);
      for (const m of [...(type.methods ?? []), ...(type.properties ?? []), ...(type.members ?? [])]) {
        if (!m.docs?.summary) problems.push(`${fqn}#${m.name}: no TSDoc`);
        if (type.datatype && m.optional && m.docs?.default === undefined) problems.push(`${fqn}#${m.name}: optional without @default`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('package.json declares Python, Java, .NET and Go targets', () => {
    const targets = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).jsii.targets;
    expect(Object.keys(targets).sort()).toEqual(['dotnet', 'go', 'java', 'python']);
  });

  test.each([
    ['python', 'python/src/cdk_data_pipeline/__init__.py', 'class CdkPipeline('],
    ['java', 'java/src/main/java/dev/cdkdatapipeline/CdkPipeline.java', 'public class CdkPipeline'],
    ['dotnet', 'dotnet/CdkDataPipeline/CdkDataPipeline/CdkPipeline.cs', 'public class CdkPipeline'],
    ['go', 'go/cdkdatapipeline/CdkPipeline.go', 'func NewCdkPipeline('],
  ])('%s sources are generated with the CdkPipeline class', (_lang, file, marker) => {
    const full = path.join(outdir, file);
    expect(fs.existsSync(full)).toBe(true);
    expect(fs.readFileSync(full, 'utf8')).toContain(marker);
  });
});
