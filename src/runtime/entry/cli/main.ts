/** Entry point of the `cdk-data-pipeline` command (bundled to assets/runtime/entry/cli/main/index.js). */
import { EXIT } from './exit-codes';
import { processIo, runCli } from './run';
import { watchSignals } from './signals';

const argv = process.argv.slice(2);
// Only `run` (the container entry) stops cleanly on SIGTERM/SIGINT; `process` keeps node's default.
const signals = argv[0] === 'run' ? watchSignals() : undefined;

runCli(argv, { ...processIo, interrupt: signals?.signal }).then(
  (code) => finish(code),
  (err) => {
    process.stderr.write(`cdk-data-pipeline: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    finish(signals?.signal.aborted ? EXIT.INTERRUPTED : EXIT.FAILED);
  },
);

function finish(code: number): void {
  signals?.dispose();
  process.exitCode = code;
  if (signals) {
    // A socket left open must not keep a stopping container alive: exit once stdout is written.
    setTimeout(() => process.exit(code), 2_000).unref();
  }
}
