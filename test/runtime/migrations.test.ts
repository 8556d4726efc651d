import { Client } from 'pg';
import { query } from './helpers';
import { migrate, MIGRATIONS } from '../../src/runtime/ledger/migrations';
import { createTestDatabase } from '../support/db';

let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => { db = await createTestDatabase('mig'); });
afterAll(async () => { await db.drop(); });

async function withClient<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: db.url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

test('concurrent cold starts migrate exactly once', async () => {
  const applied = await Promise.all(Array.from({ length: 8 }, () => withClient((c) => migrate(c))));
  expect(applied.filter((a) => a.length > 0)).toEqual([MIGRATIONS.map((m) => m.version)]);
  const versions = await query(db.url, 'SELECT version FROM schema_migrations ORDER BY version');
  expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
});

test('running again is a no-op', async () => {
  expect(await withClient((c) => migrate(c))).toEqual([]);
});

test('file_metadata has the documented columns and the version uniqueness', async () => {
  const cols = await query(db.url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'file_metadata'");
  expect(cols.map((c) => c.column_name)).toEqual(expect.arrayContaining([
    'id', 'bucket', 'key', 'version', 'version_kind', 'filename', 'status', 'rows_count', 'rows_rejected',
    'attempts', 'error', 'created_at', 'started_at', 'finished_at', 'updated_at',
  ]));
  const insert = "INSERT INTO file_metadata (bucket, key, version, version_kind, filename, status) VALUES ('b', 'k', 'v', 'etag', 'k', 'processing')";
  await query(db.url, insert);
  await expect(query(db.url, insert)).rejects.toThrow(/file_metadata_object_version_key/);
  await expect(query(db.url, insert.replace("'processing'", "'weird'").replace("'v'", "'v2'"))).rejects.toThrow(/check constraint/);
});

test('a later migration is applied on top of the existing ones', async () => {
  const extra = { version: 1000, name: 'test extra', sql: 'CREATE TABLE migration_probe (x int)' };
  expect(await withClient((c) => migrate(c, [...MIGRATIONS, extra]))).toEqual([1000]);
  expect(await withClient((c) => migrate(c, [...MIGRATIONS, extra]))).toEqual([]);
});

test('a failing migration leaves nothing behind', async () => {
  const bad = { version: 2000, name: 'broken', sql: 'CREATE TABLE half_done (x int); SELECT no_such_function()' };
  await expect(withClient((c) => migrate(c, [...MIGRATIONS, bad]))).rejects.toThrow(/no_such_function/);
  expect(await query(db.url, "SELECT to_regclass('half_done') AS t")).toEqual([{ t: null }]);
  expect(await query(db.url, 'SELECT 1 FROM schema_migrations WHERE version = 2000')).toEqual([]);
});
