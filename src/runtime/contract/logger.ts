/** Structured log lines: one JSON object per line, easy to query in CloudWatch Logs Insights. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(write: (line: string) => void): Logger {
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    write(JSON.stringify({ level, message, ...fields }));
  return { info: log('info'), warn: log('warn'), error: log('error') };
}

/** Lambda: console keeps the request id prefix on each line. */
export const consoleLogger: Logger = jsonLogger((line) => console.log(line));

/** CLI: stdout carries the result only, so logs go to stderr. */
export const stderrLogger: Logger = jsonLogger((line) => process.stderr.write(line + '\n'));

export const silentLogger: Logger = jsonLogger(() => undefined);

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
