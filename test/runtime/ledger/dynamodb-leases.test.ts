/**
 * The DynamoDB ledger's leases, against moto through the real SDK client: a
 * crashed holder's lease expires and is taken over, a live holder keeps its
 * file, and a run that lost its lease (a zombie) changes nothing — not the
 * status, not the checkpoint.
 */
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createLedgerTable } from './ledgers';
import { FileClaim } from '../../../src/runtime/contract/ledger';
import { FileRef } from '../../../src/runtime/contract/source';
import { startBudget } from '../../../src/runtime/core/deadline';
import { DynamoDbLedger, LeaseLostError } from '../../../src/runtime/ledger/dynamodb';
import { motoClientConfig } from '../../support/moto';

let client: DynamoDBClient;
let table: string;
const budget = startBudget(undefined);
const ref = (key: string, version = 'v1'): FileRef => ({ bucket: 'b', key, version, versionKind: 'version-id', filename: key });
const checkpoint = (fileId: number, byteOffset: number) => ({
  fileId, version: 'v1', sizeBytes: 1000, dataOffset: 10, byteOffset, nextLine: byteOffset, rowsLoaded: byteOffset, rowsRejected: 0, chunks: 1,
});

beforeAll(async () => {
  client = new DynamoDBClient(motoClientConfig());
  table = await createLedgerTable(client);
});
afterAll(() => { client.destroy(); budget.dispose(); });

async function claimed(ledger: DynamoDbLedger, r: FileRef): Promise<FileClaim> {
  const out = await ledger.claim(r, budget);
  if (out.kind !== 'claimed') throw new Error(`expected a claim, got ${out.kind}`);
  return out.claim;
}

/** Makes the version's lease look like a crashed run's: another holder, expiring in `ms`, never renewed. */
async function leaveDeadLease(r: FileRef, ms: number): Promise<void> {
  await client.send(new UpdateItemCommand({
    TableName: table,
    Key: { pk: { S: `f#${r.bucket}/${r.key}` }, sk: { S: `v#${r.version}` } },
    UpdateExpression: 'SET holder = :dead, heldUntil = :until',
    ExpressionAttributeValues: { ':dead': { S: 'crashed-run' }, ':until': { N: String(Date.now() + ms) } },
  }));
}

test('a live holder keeps the version: a second claim is version-busy, and gets it once the first gives it up', async () => {
  const ledger = new DynamoDbLedger({ client, table, leaseMs: 900 });
  const r = ref('live.csv');
  const first = await claimed(ledger, r);
  const started = Date.now();
  expect(await ledger.claim(r, budget)).toMatchObject({ kind: 'version-busy', fileId: first.fileId });
  // Told apart by the renewal it saw, well before the lease would have expired twice.
  expect(Date.now() - started).toBeLessThan(1800);
  await first.release(true);
  const second = await claimed(ledger, r);
  expect(second.fileId).toBe(first.fileId);
  await second.release(true);
});

test("a crashed holder's lease expires and the version is taken over; the dead run's writes are refused", async () => {
  const ledger = new DynamoDbLedger({ client, table, leaseMs: 600 });
  const r = ref('crashed.csv');
  const zombie = await claimed(ledger, r);
  await zombie.markStarted(new Date());
  await zombie.transaction(async (tx) => tx.saveCheckpoint(checkpoint(zombie.fileId, 500)));
  // The zombie stops renewing (its process froze), and its lease runs out.
  (zombie as unknown as { renewal: { stop(): void } }).renewal.stop();
  await leaveDeadLease(r, 300);
  const heir = await claimed(ledger, r);
  expect(await heir.markStarted(new Date())).toBe(2);
  expect(await heir.readCheckpoint()).toMatchObject({ byteOffset: 500 });

  await expect(zombie.transaction(async (tx) => tx.saveCheckpoint(checkpoint(zombie.fileId, 900)))).rejects.toThrow(LeaseLostError);
  await expect(zombie.markFailed('zombie', 'internal', new Date())).rejects.toThrow(/no longer holds it/);
  await expect(zombie.transaction(async (tx) => tx.markSucceeded(1, 0, new Date()))).rejects.toThrow(LeaseLostError);
  expect(await heir.read()).toMatchObject({ status: 'processing', attempts: 2 });
  expect(await heir.readCheckpoint()).toMatchObject({ byteOffset: 500 });
  await heir.release(true);
});

test('a checkpoint never moves backwards within an attempt, unless the attempt starts the file over', async () => {
  const ledger = new DynamoDbLedger({ client, table });
  const r = ref('monotonic.csv');
  const claim = await claimed(ledger, r);
  await claim.markStarted(new Date());
  await claim.transaction(async (tx) => tx.saveCheckpoint(checkpoint(claim.fileId, 700)));
  await expect(claim.transaction(async (tx) => tx.saveCheckpoint(checkpoint(claim.fileId, 300)))).rejects.toThrow(LeaseLostError);
  expect(await claim.readCheckpoint()).toMatchObject({ byteOffset: 700 });
  await claim.transaction(async (tx) => {
    await tx.clearCheckpoints([claim.fileId]);
    await tx.saveCheckpoint(checkpoint(claim.fileId, 300));
  });
  expect(await claim.readCheckpoint()).toMatchObject({ byteOffset: 300 });
  await claim.release(true);
});

test('versions of one key wait for each other: the second is key-busy while the first holds the key', async () => {
  const ledger = new DynamoDbLedger({ client, table, keyWaitMs: 400 });
  const first = await claimed(ledger, ref('key.csv', 'v1'));
  const out = await ledger.claim(ref('key.csv', 'v2'), budget);
  expect(out.kind).toBe('key-busy');
  await first.release(true);
  const second = await claimed(ledger, ref('key.csv', 'v2'));
  expect(second.fileId).not.toBe(first.fileId);
  await second.release(true);
});
