/**
 * `run` and `process` flags as parsed (no AWS): the date a scheduled time
 * stands for in a time zone, empty strings from EventBridge input
 * transformers, --checkpoint-every and PIPELINE_CHECKPOINT_EVERY, and the
 * deps `run` gives processFile (the CLI flag over the processor's env).
 */
import { ConfigError, readRuntimeConfig } from '../../../src/runtime/contract/config';
import { silentLogger } from '../../../src/runtime/contract/logger';
import { parseCommand, RunArgs, UsageError } from '../../../src/runtime/entry/cli/args';
import { runDeps } from '../../../src/runtime/entry/cli/run-command';
import { createRuntime } from '../../../src/runtime/entry/lambda-runtime';
import { dateIn, parseRunDate } from '../../../src/runtime/entry/run-date';

const runArgs = (args: string[], env: Record<string, string> = {}): RunArgs => {
  const command = parseCommand(['run', ...args], env);
  if (command.name !== 'run') throw new Error(`expected run, got ${command.name}`);
  return command.args;
};
const prefixTarget = (args: string[], env: Record<string, string> = {}) => runArgs(['--bucket', 'b', ...args], env).target;

describe('--days-before: the folder of a day before the run\'s date', () => {
  test.each([
    ['2026-03-01T02:00:00Z', 'UTC', 1, '2026-02-28'],
    ['2024-03-01T02:00:00Z', 'UTC', 1, '2024-02-29'],
    ['2026-01-01T01:30:00Z', 'Europe/London', 1, '2025-12-31'],
    // 23:30Z in summer is already the 15th in London; a day before is the 14th.
    ['2026-07-14T23:30:00Z', 'Europe/London', 1, '2026-07-14'],
    ['2026-01-15', 'UTC', 7, '2026-01-08'],
    ['2026-01-15', 'UTC', 0, '2026-01-15'],
  ])('%s in %s, %i days before: %s', (time, zone, days, date) => {
    const target = prefixTarget(['--prefix', 'raw-data/{date}/', '--date', time, '--time-zone', zone, '--days-before', String(days)]);
    expect(target).toMatchObject({ prefix: `raw-data/${date}/`, date });
  });

  test.each([['-1'], ['x'], ['367'], ['1.5']])('--days-before %s is a usage error naming it', (bad) => {
    expect(() => prefixTarget(['--prefix', 'p/{date}/', `--days-before=${bad}`])).toThrow(UsageError);
    expect(() => prefixTarget(['--prefix', 'p/{date}/', `--days-before=${bad}`])).toThrow(/--days-before must be a whole number of days from 0 to 366/);
  });

  test('--days-before needs {date} in the prefix, and goes with --prefix only', () => {
    expect(() => prefixTarget(['--prefix', 'p/', '--days-before', '1'])).toThrow('--days-before is given but --prefix "p/" has no {date} to replace');
    expect(() => prefixTarget(['--key', 'k.csv', '--days-before', '1'])).toThrow('--days-before goes with --prefix, not --key');
  });
});

describe('--date as a scheduled time in --time-zone', () => {
  test.each([
    // Summer (BST, UTC+1): 23:30Z is already the next day in London.
    ['2026-07-14T23:30:00Z', 'Europe/London', '2026-07-15'],
    ['2026-07-14T22:59:59Z', 'Europe/London', '2026-07-14'],
    ['2026-07-14T23:00:00Z', 'Europe/London', '2026-07-15'],
    // Winter (GMT): London is UTC.
    ['2026-01-15T23:30:00Z', 'Europe/London', '2026-01-15'],
    ['2026-01-16T00:00:00Z', 'Europe/London', '2026-01-16'],
    ['2026-01-15T15:00:00Z', 'Asia/Tokyo', '2026-01-16'],
    ['2026-01-15T05:00:00.000Z', 'America/Los_Angeles', '2026-01-14'],
    ['2026-01-15T02:00:00+05:00', 'UTC', '2026-01-14'],
    ['2026-01-15T02:00:00Z', 'UTC', '2026-01-15'],
  ])('%s in %s is %s', (time, zone, date) => {
    const target = prefixTarget(['--prefix', 'raw-data/{date}/', '--date', time, '--time-zone', zone]);
    expect(target).toEqual({
      kind: 'prefix', template: 'raw-data/{date}/', prefix: `raw-data/${date}/`, date, suffix: '.csv', runTime: new Date(time).toISOString(),
    });
  });

  test('without --time-zone the date is the UTC one', () => {
    expect(prefixTarget(['--prefix', 'p/{date}/', '--date', '2026-07-14T23:30:00Z'])).toMatchObject({ date: '2026-07-14' });
  });

  test('a calendar date is used as it is, whatever the time zone', () => {
    expect(prefixTarget(['--prefix', 'p/{date}/', '--date', '2026-07-14', '--time-zone', 'Pacific/Kiritimati'])).toEqual({
      kind: 'prefix', template: 'p/{date}/', prefix: 'p/2026-07-14/', date: '2026-07-14', suffix: '.csv',
    });
  });

  test('RUN_DATE still works, as a date or a time, and --date wins', () => {
    expect(prefixTarget(['--prefix', 'p/{date}/'], { RUN_DATE: '2026-03-01' })).toMatchObject({ prefix: 'p/2026-03-01/' });
    expect(prefixTarget(['--prefix', 'p/{date}/', '--time-zone', 'Asia/Tokyo'], { RUN_DATE: '2026-02-28T20:00:00Z' })).toMatchObject({ prefix: 'p/2026-03-01/' });
    expect(prefixTarget(['--prefix', 'p/{date}/', '--date', '2026-04-01'], { RUN_DATE: '2026-03-01' })).toMatchObject({ prefix: 'p/2026-04-01/' });
  });

  test('no date at all: today in the time zone', () => {
    const target = prefixTarget(['--prefix', 'p/{date}/', '--time-zone', 'Pacific/Kiritimati']);
    // The date is read once; around midnight it can be the day before or after the one computed here.
    const now = Date.now();
    const candidates = [now - 60_000, now, now + 60_000].map((t) => dateIn(new Date(t), 'Pacific/Kiritimati'));
    expect(candidates).toContain((target as { date: string }).date);
  });

  test('a time for a prefix without {date} only names the report; a calendar date there is an error', () => {
    expect(prefixTarget(['--prefix', 'incoming/', '--date', '2026-01-15T02:00:00Z', '--time-zone', 'Europe/London'])).toEqual({
      kind: 'prefix', template: 'incoming/', prefix: 'incoming/', suffix: '.csv', runTime: '2026-01-15T02:00:00.000Z',
    });
    expect(() => prefixTarget(['--prefix', 'incoming/', '--date', '2026-01-15'])).toThrow('--date is given but --prefix "incoming/" has no {date} to replace');
  });

  test.each([
    ['2026-01-15T02:00:00', 'with a zone'],
    ['2026-02-30T02:00:00Z', 'got "2026-02-30T02:00:00Z"'],
    ['2026-01-15T24:00:00Z', 'got "2026-01-15T24:00:00Z"'],
    ['yesterday', 'got "yesterday"'],
  ])('--date %s is refused, naming the flag', (value, message) => {
    expect(() => prefixTarget(['--prefix', 'p/{date}/', '--date', value])).toThrow(UsageError);
    expect(() => prefixTarget(['--prefix', 'p/{date}/', '--date', value])).toThrow(new RegExp(`^--date must be .*${message.replace(/[()]/g, '\\$&')}`));
  });

  test('an unknown time zone names the flag and the value', () => {
    expect(() => prefixTarget(['--prefix', 'p/{date}/', '--time-zone', 'Europe/Londn']))
      .toThrow('--time-zone must be an IANA time zone name such as Europe/London or UTC, got "Europe/Londn"');
    expect(() => parseRunDate('2026-01-15T02:00:00Z', 'scheduledRun.scheduledTime', 'UTC')).not.toThrow();
  });
});

describe('values EventBridge input transformers leave empty', () => {
  test('--version-id "" and --sequencer "" mean absent', () => {
    expect(runArgs(['--bucket', 'b', '--key', 'k.csv', '--version-id', '', '--sequencer', '']).target).toEqual({ kind: 'object', key: 'k.csv' });
  });

  test('--sequencer is passed with the object', () => {
    expect(runArgs(['--bucket', 'b', '--key', 'k.csv', '--version-id', 'v1', '--sequencer', '0065A1B2C3']).target)
      .toEqual({ kind: 'object', key: 'k.csv', versionId: 'v1', sequencer: '0065A1B2C3' });
  });
});

describe('--checkpoint-every and PIPELINE_CHECKPOINT_EVERY', () => {
  const env = {
    PIPELINE_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', PIPELINE_OUTPUT_BUCKET: 'out', PIPELINE_BACKUP_BUCKET: 'bak',
  };
  const runtime = (extra: Record<string, string> = {}) => createRuntime({ env: { ...env, ...extra }, log: silentLogger, aws: { region: 'us-east-1' } });

  test('run: the flag, else the environment, reaches the deps given to processFile', async () => {
    const fromEnv = runtime({ PIPELINE_CHECKPOINT_EVERY: '5000' });
    const plain = runtime();
    try {
      expect(fromEnv.checkpointEvery).toBe(5000);
      expect(runDeps(fromEnv, runArgs(['--bucket', 'b', '--key', 'k.csv'])).checkpointEvery).toBe(5000);
      expect(runDeps(fromEnv, runArgs(['--bucket', 'b', '--key', 'k.csv', '--checkpoint-every', '0'])).checkpointEvery).toBe(0);
      expect(runDeps(fromEnv, runArgs(['--bucket', 'b', '--prefix', 'p/', '--checkpoint-every', '250'])).checkpointEvery).toBe(250);
      expect(runDeps(plain, runArgs(['--bucket', 'b', '--key', 'k.csv'])).checkpointEvery).toBeUndefined();
      expect(runDeps(plain, runArgs(['--bucket', 'b', '--key', 'k.csv', '--force'])).force).toBe(true);
    } finally {
      await fromEnv.close();
      await plain.close();
    }
  });

  test('process: the flag over PIPELINE_CHECKPOINT_EVERY', () => {
    const processArgs = (args: string[], extra: Record<string, string> = {}) => {
      const command = parseCommand(['process', 'f.csv', '--database-url', 'postgres://x@h/db', ...args], extra);
      if (command.name !== 'process') throw new Error('expected process');
      return command.args;
    };
    expect(processArgs([]).checkpointEvery).toBeUndefined();
    expect(processArgs(['--checkpoint-every', '10000']).checkpointEvery).toBe(10000);
    expect(processArgs([], { PIPELINE_CHECKPOINT_EVERY: '42' }).checkpointEvery).toBe(42);
    expect(processArgs(['--checkpoint-every', '7'], { PIPELINE_CHECKPOINT_EVERY: '42' }).checkpointEvery).toBe(7);
    expect(() => processArgs([], { PIPELINE_CHECKPOINT_EVERY: 'ten' }))
      .toThrow('PIPELINE_CHECKPOINT_EVERY must be a whole number of rows >= 0 (0: one transaction per file), got "ten"');
  });

  test.each(['-1', '1.5', 'ten', '10k', '99999999999999999999'])('PIPELINE_CHECKPOINT_EVERY=%s fails the configuration, naming the variable', (value) => {
    expect(() => readRuntimeConfig({ ...env, PIPELINE_CHECKPOINT_EVERY: value })).toThrow(ConfigError);
    expect(() => readRuntimeConfig({ ...env, PIPELINE_CHECKPOINT_EVERY: value }))
      .toThrow(`PIPELINE_CHECKPOINT_EVERY must be a whole number of rows >= 0 (0: one transaction per file), got ${JSON.stringify(value)}`);
  });

  test('unset or empty: undefined (one transaction per file)', () => {
    expect(readRuntimeConfig(env).checkpointEvery).toBeUndefined();
    expect(readRuntimeConfig({ ...env, PIPELINE_CHECKPOINT_EVERY: '' }).checkpointEvery).toBeUndefined();
    expect(readRuntimeConfig({ ...env, PIPELINE_CHECKPOINT_EVERY: ' 0 ' }).checkpointEvery).toBe(0);
  });
});
