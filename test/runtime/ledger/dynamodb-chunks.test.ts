/**
 * Chunk records in the DynamoDB ledger: one larger than an item (a report
 * sink's summary with many groups) is split over several items and read
 * back exactly; a record of a generation that was started over is not read.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLedgerTable } from './ledgers';
import { ChunkRecord, FileClaim } from '../../../src/runtime/contract/ledger';
import { startBudget } from '../../../src/runtime/core/deadline';
import { DynamoDbLedger } from '../../../src/runtime/ledger/dynamodb';
import { motoClientConfig } from '../../support/moto';

let client: DynamoDBClient;
let ledger: DynamoDbLedger;
const budget = startBudget(undefined);

beforeAll(async () => {
  client = new DynamoDBClient(motoClientConfig());
  ledger = new DynamoDbLedger({ client, table: await createLedgerTable(client) });
});
afterAll(() => { client.destroy(); budget.dispose(); });

async function claimed(key: string): Promise<FileClaim> {
  const out = await ledger.claim({ bucket: 'b', key, version: 'v1', versionKind: 'version-id', filename: key }, budget);
  if (out.kind !== 'claimed') throw new Error(out.kind);
  await out.claim.markStarted(new Date());
  return out.claim;
}

/** A summary of `groups` groups with a non-ASCII label each, about 60 bytes per group. */
const bigSummary = (groups: number) => ({
  groups: Array.from({ length: groups }, (_, i) => ({ group: { region: `région-${i}-€😀` }, measures: { count: i, sum: `${i}.25` } })),
});

test('a 1.5 MB chunk record is stored in pages and read back exactly, in file order with the others', async () => {
  const claim = await claimed('big.csv');
  const big: ChunkRecord = { firstLine: 10_002, listed: 1, rejectsCsv: '10005,bad,"x\ny"\n', summaries: [bigSummary(25_000)] };
  const small: ChunkRecord = { firstLine: 2, listed: 0, rejectsCsv: '', summaries: [{ groups: [] }] };
  expect(JSON.stringify(big).length).toBeGreaterThan(1_400_000);
  await claim.transaction(async (tx) => {
    await tx.saveChunk(big);
    await tx.saveCheckpoint({ fileId: claim.fileId, version: 'v1', sizeBytes: 1e9, dataOffset: 10, byteOffset: 5000, nextLine: 20_002, rowsLoaded: 20_000, rowsRejected: 1, chunks: 2 });
  });
  await claim.transaction(async (tx) => tx.saveChunk(small));
  const read = await claim.transaction(async (tx) => tx.readChunks());
  expect(read).toEqual([small, big]);
  await claim.release(true);
});

test('after a start over, the earlier generation\'s records are not read', async () => {
  const claim = await claimed('restart.csv');
  await claim.transaction(async (tx) => tx.saveChunk({ firstLine: 2, listed: 0, rejectsCsv: '', summaries: [{ old: true }] }));
  const after = await claim.transaction(async (tx) => {
    await tx.clearCheckpoints([claim.fileId]);
    await tx.saveChunk({ firstLine: 2, listed: 0, rejectsCsv: '', summaries: [{ old: false }] });
    return tx.readChunks();
  });
  expect(after).toEqual([{ firstLine: 2, listed: 0, rejectsCsv: '', summaries: [{ old: false }] }]);
  expect(await claim.transaction(async (tx) => tx.readChunks())).toEqual(after);
  await claim.release(true);
});
