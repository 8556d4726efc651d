import { chunked, COLUMNS, errorOf, openTestDb, tableConfig, TestDb, whole } from './helpers';
import { InputError } from '../../../src/runtime/contract/errors';
import { createPostgresTableSink } from '../../../src/runtime/load';

let db: TestDb;
const config = tableConfig('things', COLUMNS);
const skip = { ...config, badRows: 'SKIP_AND_REPORT' as const };
const POLICIES = [['FAIL_FILE', config], ['SKIP_AND_REPORT', skip]] as const;

beforeAll(async () => {
  db = await openTestDb();
  await db.createTable(config);
});
afterAll(() => db.close());
beforeEach(() => db.client.query('TRUNCATE things'));

const rows = () => db.rows('things', 'id, name, amount::text, day::text, ok, _file_id');

describe.each(POLICIES)('%s', (_policy, cfg) => {
  test('maps columns by header name, in any order', async () => {
    const outcome = await db.load(cfg, chunked('ok, day ,name,amount,id\nt,2024-01-02,"a, ""b""",3.10,1\n,,x,,2\n'), 42);
    expect(outcome).toMatchObject({ rowsLoaded: 2, rowsRejected: 0 });
    expect(await rows()).toEqual([
      { id: 1, name: 'a, "b"', amount: '3.10', day: '2024-01-02', ok: true, _file_id: '42' },
      { id: 2, name: 'x', amount: null, day: null, ok: null, _file_id: '42' },
    ]);
  });

  test('a nullable column may be missing from the header', async () => {
    await db.load(cfg, whole('name,id\nn,1\n'));
    expect(await rows()).toEqual([{ id: 1, name: 'n', amount: null, day: null, ok: null, _file_id: '1' }]);
  });

  test('a missing required column fails the file with a clear message', async () => {
    const err = await errorOf(db.load(cfg, whole('id,amount\n1,2\n')));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe('line 1: required column "name" missing from the header (found: "id", "amount")');
    expect(err.line).toBe(1);
    expect(err.column).toBe('name');
  });

  test('extra columns are ignored with IGNORE', async () => {
    const outcome = await db.load(cfg, chunked('extra1,id,name,"extra, 2"\n"x,y",1,n,z\n,2,m,"q\nr"\n', 3));
    expect(outcome.rowsLoaded).toBe(2);
    expect((await rows()).map((r) => [r.id, r.name])).toEqual([[1, 'n'], [2, 'm']]);
  });

  test('extra columns fail the file with REJECT', async () => {
    const err = await errorOf(db.load({ ...cfg, extraColumns: 'REJECT' }, whole('id,name,color\n1,n,red\n')));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain('line 1: unexpected column "color" in the header (extraColumns is REJECT');
    expect(await rows()).toEqual([]);
  });

  test('a duplicated header name fails the file', async () => {
    const err = await errorOf(db.load(cfg, whole('id,name,id\n1,n,1\n')));
    expect(err.message).toBe('line 1: column "id" appears more than once in the header');
  });

  test('BOM, CRLF line endings and quoted newlines', async () => {
    const csv = '\ufeffid,name\r\n1,"two\r\nlines"\r\n2,plain\r\n3,"x, ""y"""\r\n';
    expect((await db.load(cfg, chunked(csv, 2))).rowsLoaded).toBe(3);
    expect((await rows()).map((r) => r.name)).toEqual(['two\r\nlines', 'plain', 'x, "y"']);
  });

  test('line numbers count the lines of quoted newlines', async () => {
    const csv = 'id,name,day\n1,"a\nb\nc",2024-01-01\n2,b,2024-99-01\n';
    if (cfg.badRows === 'FAIL_FILE') {
      const err = await errorOf(db.load(cfg, whole(csv)));
      expect(err.line).toBe(5);
    } else {
      const outcome = await db.load(cfg, whole(csv));
      expect(outcome.rejectsCsv).toMatch(/^line,reason,raw\n5,/);
    }
  });

  test('no trailing newline, empty file, header only', async () => {
    expect((await db.load(cfg, whole('id,name\n1,a'))).rowsLoaded).toBe(1);
    expect((await db.load(cfg, whole('id,name\n'), 2)).rowsLoaded).toBe(0);
    expect((await db.load(cfg, whole('id,name'), 3)).rowsLoaded).toBe(0);
    const err = await errorOf(db.load(cfg, whole(''), 4));
    expect(err.message).toBe('line 1: the file is empty; a CSV header line is required');
  });

  test('a line that is exactly \\. is loaded as data, not taken for the end of data', async () => {
    const one = tableConfig('single', [{ name: 'v', type: 'text', nullable: true }], { badRows: cfg.badRows });
    await db.createTable(one);
    const outcome = await db.load(one, chunked('v\na\n\\.\nb\n', 3));
    expect(outcome.rowsLoaded).toBe(3);
    expect((await db.rows('single', 'v')).map((r) => r.v).sort()).toEqual(['\\.', 'a', 'b']);
  });

  test('reprocessing the same file version replaces its rows', async () => {
    const csv = 'id,name\n1,a\n2,b\n';
    await db.load(cfg, whole(csv), 7);
    await db.load(cfg, whole('id,name\n3,c\n'), 8);
    await db.load(cfg, whole(csv), 7);
    expect((await rows()).map((r) => [r.id, r._file_id])).toEqual([[1, '7'], [2, '7'], [3, '8']]);
  });

  test('a rolled-back transaction leaves nothing', async () => {
    await db.client.query('BEGIN');
    const outcome = await createPostgresTableSink(cfg).load(db.client as any, { fileId: 9, bucket: 'b', key: 'k', version: 'v' }, whole('id,name\n1,a\n'));
    expect(outcome.rowsLoaded).toBe(1);
    await db.client.query('ROLLBACK');
    expect(await rows()).toEqual([]);
  });

  test('after a failed file the transaction is still usable and earlier rows are kept', async () => {
    await db.load(cfg, whole('id,name\n1,a\n'), 5);
    await db.client.query('BEGIN');
    await expect(createPostgresTableSink({ ...cfg, badRows: 'FAIL_FILE' }).load(db.client as any, { fileId: 5, bucket: 'b', key: 'k', version: 'v' }, whole('id,name\nx,a\n')))
      .rejects.toThrow('line 2, column "id": invalid input syntax for type integer: "x"');
    await db.client.query('SELECT 1');
    await db.client.query('COMMIT');
    expect((await rows()).map((r) => [r.id, r._file_id])).toEqual([[1, '5']]);
  });
});

test('inserting without a file id fails instead of writing orphan rows', async () => {
  await expect(db.client.query("INSERT INTO things (id, name) VALUES (1, 'a')")).rejects.toThrow(/cdk_data_pipeline.file_id|bigint/);
});
