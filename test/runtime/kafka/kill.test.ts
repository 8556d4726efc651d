/**
 * `process` with a Kafka sink killed with `kill -9` at random rows, then run
 * again until it succeeds, as a Spot reclaim would do it:
 * - exactly once: a read_committed consumer reads every row of the file
 *   once, in file order, whether the processor loads the file in one
 *   transaction or in checkpointed chunks;
 * - at least once: every row arrives, in order except where a rerun starts
 *   again after the last checkpoint, and the rows sent twice are within one
 *   checkpoint's chunk per kill.
 * The kill points come from a seeded generator: the seed is in the test
 * name, so a failure replays.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { bundleKafkaCli, startCli } from './kafka-cli';
import { broker, createTopic, idsOf, readTopic } from './kafka-helpers';
import { generateCsv, prng } from '../../../bench/csv-generator';
import { createTestDatabase } from '../../support/db';

const ROWS = 100_000;
const EVERY = 5_000;
const SEED = Number(process.env.KAFKA_KILL_SEED ?? Date.now() % 100_000);

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let work: string;
let main: string;
let csvPath: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-kafka-kill-'));
  main = await bundleKafkaCli(path.join(work, 'cli', 'main.js'));
  csvPath = (await generateCsv(path.join(work, 'orders.csv'), ROWS)).path;
  admin = new Kafka({ brokers: [broker()], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
}, 120_000);

// Each test processes the same file: a fresh ledger, so it is never a duplicate.
beforeEach(async () => {
  await db?.drop();
  db = await createTestDatabase('kafkakill');
});

afterAll(async () => {
  await admin.disconnect();
  await db.drop();
  fs.rmSync(work, { recursive: true, force: true });
});

function args(topic: string, extra: string[]): string[] {
  return ['process', csvPath, '--database-url', db.url, '--ssl', 'disable', '--output-dir', path.join(work, 'out'),
    '--kafka-brokers', broker(), '--kafka-topic', topic, '--kafka-key-column', 'id', '--kafka-checkpoint-every', String(EVERY), ...extra];
}

let admin: Admin;
/**
 * How far the run got: the topic's end offset for read_committed readers
 * (kafkajs lists offsets read_committed), which moves at each commit. One
 * connection, so polling is quick.
 */
async function written(topic: string): Promise<number> {
  const [p] = await admin.fetchTopicOffsets(topic);
  return Number(p.high);
}

/**
 * Runs `process` killed at each point (`killOnce`: `ms` after a commit, so
 * the kill most likely lands inside a transaction), then to success.
 */
async function killAndRerun(topic: string, killAt: readonly (readonly [number, number])[], extra: string[]): Promise<void> {
  await killAt.reduce((p, point) => p.then(() => killOnce(topic, point, extra)), Promise.resolve());
  const last = await startCli(main, args(topic, extra), work).done;
  expect(last.stderr.split('\n').filter((l) => /"level":"error"/.test(l))).toEqual([]);
  expect(last.json).toMatchObject({ status: 'succeeded', rows: ROWS });
  expect(last.code).toBe(0);
}

/** Whether a killed run left rows of an open transaction in the log (aborted since). */
async function cutATransaction(topic: string): Promise<boolean> {
  return (await readTopic(topic, { uncommitted: true })).length > (await readTopic(topic)).length;
}

/** Whether a killed run (at least once) left rows that will be sent again. */
async function leftDuplicates(topic: string): Promise<boolean> {
  const ids = idsOf(await readTopic(topic, { uncommitted: true }));
  return new Set(ids).size < ids.length;
}

/**
 * A kill between two commits proves less: after the first kill point, kill
 * again, a little further each time, until a kill did cut a chunk short
 * (at most 6 times); then the other kill points, and a run to success.
 */
async function killUntil(
  topic: string, cut: (topic: string) => Promise<boolean>, kills: readonly (readonly [number, number])[], extra: string[],
): Promise<void> {
  await killOnce(topic, kills[0], extra);
  for (let more = 0; more < 6 && !(await cut(topic)); more++) {
    await killOnce(topic, [1 + Math.floor(rand() * 1_000), Math.floor(rand() * 200)], extra.filter((f) => f !== '--force'));
  }
  await killAndRerun(topic, kills.slice(1), extra.filter((f) => f !== '--force'));
}

/** One run of `process`, killed with SIGKILL `ms` after `at` more messages are committed than before. */
async function killOnce(topic: string, [at, ms]: readonly [number, number], extra: string[]): Promise<void> {
  const before = await written(topic);
  const { child, done } = startCli(main, args(topic, extra), work);
  const deadline = Date.now() + 120_000;
  let exited = false;
  void done.then(() => { exited = true; });
  while (!exited && (await written(topic)) < before + at) {
    if (Date.now() > deadline) throw new Error(`the run never wrote ${at} messages`);
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGKILL');
  const run = await done;
  // Too late to kill (the file was done): the test's kill points are chosen to land inside the file.
  expect(run.signal).toBe('SIGKILL');
}

const all = Array.from({ length: ROWS }, (_, i) => i + 1);
const rand = prng(SEED);
/**
 * Kill points: messages committed by a run, and milliseconds after, before
 * it is killed. At most a tenth of the file and 200 ms each (with the extra
 * kills of `killUntil`, every kill lands inside the file).
 */
const points = (n: number) => Array.from({ length: n }, () => [1 + Math.floor(rand() * ROWS * 0.1), Math.floor(rand() * 200)] as const);

test.each([
  ['in one processor transaction', [] as string[]],
  ['in processor chunks of 10,000 rows', ['--checkpoint-every', '10000']],
])(`exactly once, %s: kill -9 at random rows (seed ${SEED}), rerun: read_committed sees every row once, in order`, async (_name, extra) => {
  const topic = await createTopic('kill-eos');
  await killUntil(topic, cutATransaction, points(3), ['--force', ...extra]);
  const committed = await readTopic(topic, { minCount: ROWS });
  expect(idsOf(committed)).toEqual(all);
  expect(committed.every((m) => m.key === JSON.parse(m.value).id)).toBe(true);
  // Kills did cut transactions short: their rows are in the log, aborted.
  expect((await readTopic(topic, { uncommitted: true })).length).toBeGreaterThan(ROWS);
}, 600_000);

test(`at least once: kill -9 at random rows (seed ${SEED}), rerun: every row, the duplicates within one chunk per kill`, async () => {
  const topic = await createTopic('kill-alo');
  await killUntil(topic, leftDuplicates, points(3), ['--kafka-at-least-once']);
  const ids = idsOf(await readTopic(topic, { uncommitted: true }));
  expect(new Set(ids)).toEqual(new Set(all));
  // Each rerun starts again at a chunk boundary, at most one chunk back.
  const rewinds: [number, number][] = [];
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] === ids[i - 1] + 1) continue;
    expect(ids[i]).toBeLessThanOrEqual(ids[i - 1]);
    rewinds.push([ids[i], ids[i - 1]]);
  }
  expect(rewinds.length).toBeGreaterThanOrEqual(1);
  for (const [from, to] of rewinds) {
    expect((from - 1) % EVERY).toBe(0);
    expect(to - from).toBeLessThan(EVERY);
  }
  expect(ids.length - ROWS).toBe(rewinds.reduce((n, [from, to]) => n + to - from + 1, 0));
}, 600_000);
