/** The CLI as a function: arguments in, exit code out (0 ok, 1 file failed, 2 usage). */
import { parseCommand, UsageError } from './args';
import { runProcess } from './process-command';
import { MAIN_USAGE, PROCESS_USAGE } from './usage';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Record<string, string | undefined>;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    const command = parseCommand(argv, io.env);
    if (command.name === 'help') {
      io.stdout(command.topic === 'process' ? PROCESS_USAGE : MAIN_USAGE);
      return 0;
    }
    const output = await runProcess(command.args);
    io.stdout(JSON.stringify(output) + '\n');
    if (output.status === 'duplicate') io.stderr(`cdk-data-pipeline: ${output.file} was not processed: ${output.reason}\n`);
    return output.status === 'failed' ? 1 : 0;
  } catch (err) {
    if (err instanceof UsageError) {
      const usage = argv[0] === 'process' ? PROCESS_USAGE : MAIN_USAGE;
      io.stderr(`cdk-data-pipeline: ${err.message}\n\n${usage}`);
      return 2;
    }
    throw err;
  }
}
