import * as path from 'path';
import { build } from 'esbuild';

export const ROOT = path.join(__dirname, '..', '..');

/**
 * Bundles the CLI the way `npx projen bundle` does (bundle:runtime/entry/cli/main),
 * so the tests run the current sources as users run the package.
 */
export async function bundleCli(outfile = path.join(ROOT, 'assets/runtime/entry/cli/main/index.js')): Promise<string> {
  await build({
    entryPoints: [path.join(ROOT, 'src/runtime/entry/cli/main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: ['pg-native'],
    sourcemap: true,
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}
