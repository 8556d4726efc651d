import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');

/**
 * The fast check of the four jsii targets declared in .projenrc.ts:
 * `jsii-pacmak --code-only` generates Python, Java, .NET and Go sources without
 * building them, and the public API reads well in every language (TSDoc,
 * `@default`s, documented parameters).
 *
 * The real packages are built and used elsewhere: `npm run package:bindings`
 * (scripts/bindings/package.sh) builds the wheel + sdist, the Maven jar and the
 * Go module into dist/, and `npm run test:bindings` installs each into a fresh
 * project of its language and synthesizes a pipeline there (test/bindings/).
 * .NET stays code-only: there is no .NET SDK on the build machines.
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

  test('every optional parameter of a public method is documented (a binding shows it without a default)', () => {
    const assembly = JSON.parse(fs.readFileSync(path.join(root, '.jsii'), 'utf8'));
    const problems: string[] = [];
    for (const [fqn, type] of Object.entries<any>(assembly.types)) {
      for (const m of [...(type.methods ?? []), ...(type.initializer ? [{ ...type.initializer, name: '<constructor>' }] : [])]) {
        for (const p of m.parameters ?? []) {
          if (p.optional && !p.docs?.summary) problems.push(`${fqn}#${m.name}(${p.name}): optional and undocumented (@param)`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('no public parameter or property name starts with an underscore (Python, Java and Go show it as written)', () => {
    const assembly = JSON.parse(fs.readFileSync(path.join(root, '.jsii'), 'utf8'));
    const names: string[] = [];
    for (const [fqn, type] of Object.entries<any>(assembly.types)) {
      for (const p of type.properties ?? []) if (p.name.startsWith('_')) names.push(`${fqn}#${p.name}`);
      for (const m of [...(type.methods ?? []), ...(type.initializer ? [{ ...type.initializer, name: '<constructor>' }] : [])]) {
        for (const p of m.parameters ?? []) if (p.name.startsWith('_')) names.push(`${fqn}#${m.name}(${p.name})`);
      }
    }
    expect(names).toEqual([]);
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
