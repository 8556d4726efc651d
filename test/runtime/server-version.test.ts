/**
 * The suite runs on the PostgreSQL it was asked for (PIPELINE_TEST_PG: CI
 * runs everything on 17.9, the engine the construct deploys, and the runtime
 * tests again on 15, the oldest supported for your own database).
 */
import { query } from './helpers';
import { TEST_PG_MAJOR } from '../support/services';

test('the test server is the requested major version, and at least the oldest supported one', async () => {
  const [{ server_version_num: num }] = await query(process.env.TEST_DATABASE_URL!, 'SHOW server_version_num');
  const major = Math.floor(Number(num) / 10000);
  expect(major).toBeGreaterThanOrEqual(15);
  if (TEST_PG_MAJOR !== undefined) expect(major).toBe(Number(TEST_PG_MAJOR));
});
