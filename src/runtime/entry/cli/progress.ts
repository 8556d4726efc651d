/**
 * A progress line on stderr for long local runs (`process` with stderr on a
 * terminal): lines read, MB/s, percent of the file and the time left,
 * rewritten in place once a second, cleared at the end. It watches the
 * bytes the processor reads from the file: a sink that reads the file twice
 * (a check, then the load) shows two passes. Silent when stderr is not a
 * terminal (logs, pipes, CI).
 */
import { PassThrough, Readable } from 'stream';
import { FileRef, FileSource, FileStat, OpenOptions } from '../../contract/source';

export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): void;
}

/** `source` with its reads counted and shown on `out`; `stop()` clears the line. */
export function withProgress(
  source: FileSource, out: ProgressOutput, options: { everyMs?: number; now?: () => number } = {},
): { source: FileSource; stop(): void } {
  const now = options.now ?? Date.now;
  if (!out.isTTY) return { source, stop: () => undefined };
  let size = 0;
  let bytes = 0;
  let lines = 0;
  let passStart = 0;
  let started = now();
  let shown = false;
  const show = () => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const rate = bytes / seconds;
    const left = rate > 0 && size > bytes ? Math.round((size - bytes) / rate) : 0;
    const pct = size > 0 ? ((bytes + passStart) / size) * 100 : 0;
    out.write(`\r\x1b[2K${lines.toLocaleString('en-US')} lines, ${(rate / 1e6).toFixed(1)} MB/s, `
      + `${Math.min(pct, 100).toFixed(1)}% of ${(size / 1e6).toFixed(1)} MB, ETA ${formatSeconds(left)}`);
    shown = true;
  };
  const timer = setInterval(show, options.everyMs ?? 1000);
  timer.unref?.();
  const counted: FileSource = {
    bucket: source.bucket,
    key: source.key,
    description: source.description,
    resolve: (): Promise<FileRef> => source.resolve(),
    stat: async (): Promise<FileStat> => {
      const stat = await source.stat();
      size = stat.sizeBytes;
      return stat;
    },
    open: async (opening?: OpenOptions): Promise<Readable> => {
      const stream = await source.open(opening);
      // Each full read is a pass; a resumed read starts where the checkpoint is.
      passStart = opening?.start ?? 0;
      bytes = 0;
      lines = 0;
      started = now();
      const tap = new PassThrough();
      tap.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
      });
      stream.on('error', (err) => tap.destroy(err));
      tap.on('close', () => stream.destroy());
      return stream.pipe(tap);
    },
  };
  return {
    source: counted,
    stop: () => {
      clearInterval(timer);
      if (shown) out.write('\r\x1b[2K');
    },
  };
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
