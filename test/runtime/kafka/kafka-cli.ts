/** The CLI bundled with the Kafka sink (./cli-with-kafka.ts), run as a child process. */
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { build } from 'esbuild';

export async function bundleKafkaCli(outfile: string): Promise<string> {
  await build({
    entryPoints: [path.join(__dirname, 'cli-with-kafka.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: ['pg-native'],
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

export interface CliRun { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; json?: any }

/** Starts `node main args...`; `done` resolves with its output once it exits. */
export function startCli(
  main: string, args: string[], cwd: string, env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [main, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const done = new Promise<CliRun>((resolve) => child.on('close', (code, signal) => {
    const last = stdout.trim().split('\n').pop();
    resolve({ code, signal, stdout, stderr, json: last?.startsWith('{') ? JSON.parse(last) : undefined });
  }));
  return { child, done };
}
