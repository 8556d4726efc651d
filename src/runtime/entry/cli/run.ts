/**
 * The CLI as a function: arguments in, exit code out (./exit-codes.ts:
 * 0 ok, 1 a file failed, 2 usage, 75 interrupted — run it again).
 */
import { parseCommand, UsageError } from './args';
import { EXIT } from './exit-codes';
import { runProcess } from './process-command';
import { REPROCESS_USAGE, runReprocess } from './reprocess-command';
import { RunIo, runRun } from './run-command';
import { runStatus, STATUS_USAGE } from './status-command';
import { MAIN_USAGE, PROCESS_USAGE, RUN_USAGE } from './usage';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Record<string, string | undefined>;
  /** Fires on SIGTERM/SIGINT; only `run` stops for it. */
  readonly interrupt?: AbortSignal;
  readonly aws?: RunIo['aws'];
  /** Whether stdout is a terminal (`status` prints a table there, JSON otherwise). */
  readonly isTerminal?: boolean;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  isTerminal: process.stdout.isTTY === true,
};

const USAGES: Record<string, string> = { process: PROCESS_USAGE, run: RUN_USAGE, status: STATUS_USAGE, reprocess: REPROCESS_USAGE };

export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    if (argv[0] === 'reprocess') return await runReprocess(argv.slice(1), io);
    if (argv[0] === 'status') return await runStatus(argv.slice(1), { stdout: io.stdout, env: io.env, isTerminal: io.isTerminal, aws: io.aws });
    const command = parseCommand(argv, io.env);
    if (command.name === 'help') {
      io.stdout(command.topic ? USAGES[command.topic] : MAIN_USAGE);
      return EXIT.OK;
    }
    if (command.name === 'run') return await runRun(command.args, io);
    const output = await runProcess(command.args);
    io.stdout(JSON.stringify(output) + '\n');
    if (output.status === 'duplicate') io.stderr(`cdk-data-pipeline: ${output.file} was not processed: ${output.reason}\n`);
    return output.status === 'failed' ? EXIT.FAILED : EXIT.OK;
  } catch (err) {
    if (err instanceof UsageError) {
      const usage = USAGES[argv[0] ?? ''] ?? MAIN_USAGE;
      io.stderr(`cdk-data-pipeline: ${err.message}\n\n${usage}`);
      return EXIT.USAGE;
    }
    throw err;
  }
}
