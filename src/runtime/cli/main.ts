/** Entry point of the `cdk-data-pipeline` command (bundled to assets/runtime/cli/main/index.js). */
import { runCli } from './run';

runCli(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`cdk-data-pipeline: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
