/**
 * The progress line of long local runs: on a terminal, lines read, MB/s,
 * percent of the file and the time left, rewritten in place and cleared at
 * the end; nothing at all when stderr is not a terminal.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { withProgress } from '../../src/runtime/entry/cli/progress';
import { LocalFileSource } from '../../src/runtime/local/local-source';

let dir: string;
let file: string;
const LINES = 50_000;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-progress-'));
  file = path.join(dir, 'big.csv');
  fs.writeFileSync(file, 'id,name\n' + Array.from({ length: LINES }, (_, i) => `${i},name-${i}`).join('\n') + '\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Reads the whole stream slowly, as a loader would, so the progress timer fires. */
async function readSlowly(stream: NodeJS.ReadableStream): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += (chunk as Buffer).length;
    await new Promise((r) => setTimeout(r, 2));
  }
  return bytes;
}

test('on a terminal: the line shows lines, MB/s, percent and ETA, and is cleared at the end', async () => {
  const written: string[] = [];
  const { source, stop } = withProgress(new LocalFileSource(file), { isTTY: true, write: (t) => written.push(t) }, { everyMs: 5 });
  const { sizeBytes } = await source.stat();
  expect(await readSlowly(await source.open())).toBe(sizeBytes);
  await new Promise((r) => setTimeout(r, 30));
  stop();
  const lines = written.slice(0, -1);
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(l).toMatch(/^\r\x1b\[2K[\d,]+ lines, \d+\.\d MB\/s, \d+\.\d% of \d+\.\d MB, ETA \d+s$/);
  expect(lines[lines.length - 1]).toContain(`${(LINES + 1).toLocaleString('en-US')} lines`);
  expect(lines[lines.length - 1]).toMatch(/100\.0% of/);
  expect(written[written.length - 1]).toBe('\r\x1b[2K');
});

test('not a terminal: the source is left as it is and nothing is written', async () => {
  const written: string[] = [];
  const plain = new LocalFileSource(file);
  const { source, stop } = withProgress(plain, { isTTY: false, write: (t) => written.push(t) }, { everyMs: 5 });
  expect(source).toBe(plain);
  await readSlowly(await source.open());
  stop();
  expect(written).toEqual([]);
});
