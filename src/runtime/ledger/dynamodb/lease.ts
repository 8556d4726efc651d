/**
 * Leases instead of advisory locks: an item is held by the run whose
 * `holder` it names until `heldUntil` (epoch milliseconds). Taking one is a
 * conditional write that succeeds only when nobody holds it or the holding
 * run stopped renewing it (crashed, killed, cut off) and it expired. While a
 * run works it renews its leases every third of their duration; every write
 * the run makes to the version's record is conditional on still holding it,
 * so a run that lost its lease (a zombie) changes nothing.
 *
 * Leases compare this host's clock with the one of the host that took the
 * lease: keep the lease well above the clock skew of the hosts (EC2, ECS and
 * Lambda hosts are NTP-synchronised to within milliseconds).
 */
import { AttributeValue, ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { Item, n, s } from './items';

/** Default lease: a crashed run's file can be taken over this long after its last renewal. */
export const DEFAULT_LEASE_MS = 60_000;

export class LeaseLostError extends Error {
  constructor(what: string) {
    super(`${what}: this run no longer holds it (its lease expired and another run may have taken it over, or its checkpoint is already further on), so this run stops without changing it`);
    this.name = 'LeaseLostError';
  }
}

export interface LeaseOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  /** This run's claim id. */
  readonly holder: string;
  readonly leaseMs: number;
  readonly now: () => number;
}

/** True when it took the lease; false when another live run holds it. */
export async function takeLease(o: LeaseOptions, key: Item): Promise<boolean> {
  const now = o.now();
  try {
    await o.client.send(new UpdateItemCommand({
      TableName: o.table,
      Key: key,
      UpdateExpression: 'SET holder = :me, heldUntil = :until',
      ConditionExpression: 'attribute_not_exists(holder) OR heldUntil < :now OR holder = :me',
      ExpressionAttributeValues: { ':me': s(o.holder), ':until': n(now + o.leaseMs), ':now': n(now) },
    }));
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw err;
  }
}

/**
 * Takes the lease, or tells a live holder from a dead one: a live run renews
 * its lease every third of it, so a lease that is held, not renewed, and
 * expires is a crashed run's, taken over here. Returns `live` as soon as a
 * renewal is seen, or when `maxWaitMs` passed first.
 */
export async function takeUnlessLive(o: LeaseOptions, key: Item, maxWaitMs: number): Promise<'taken' | 'live'> {
  const started = o.now();
  let seen: string | undefined;
  for (;;) {
    if (await takeLease(o, key)) return 'taken';
    const item = (await o.client.send(new GetItemCommand({ TableName: o.table, Key: key, ConsistentRead: true }))).Item;
    const current = `${item?.holder?.S}@${item?.heldUntil?.N}`;
    if (seen !== undefined && current !== seen) return 'live';
    seen = current;
    const left = Number(item?.heldUntil?.N ?? 0) - o.now();
    if (o.now() - started + Math.max(left, 0) > maxWaitMs) return 'live';
    await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(left, 0) + 10, o.leaseMs / 6, 1000)));
  }
}

/** An update of `key` that only the lease's holder may make; false when the lease is no longer this run's. */
async function asHolder(o: LeaseOptions, key: Item, update: string, values: Record<string, AttributeValue> = {}): Promise<boolean> {
  try {
    await o.client.send(new UpdateItemCommand({
      TableName: o.table,
      Key: key,
      UpdateExpression: update,
      ConditionExpression: 'holder = :me',
      ExpressionAttributeValues: { ':me': s(o.holder), ...values },
    }));
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw err;
  }
}

/** False when the lease is no longer this run's. */
export function renewLease(o: LeaseOptions, key: Item): Promise<boolean> {
  return asHolder(o, key, 'SET heldUntil = :until', { ':until': n(o.now() + o.leaseMs) });
}

/** Gives the lease up if it is still this run's (best effort: an expired lease needs nothing). */
export async function dropLease(o: LeaseOptions, key: Item): Promise<void> {
  await asHolder(o, key, 'REMOVE holder, heldUntil');
}

/**
 * Renews `keys` every third of the lease until stopped. `lost()` turns true
 * once a renewal found a lease taken by another run, or renewals failed for
 * longer than the lease.
 */
export function keepRenewing(o: LeaseOptions, keys: () => readonly Item[]): { stop(): void; lost(): boolean } {
  let lost = false;
  let renewedAt = o.now();
  const timer = setInterval(() => {
    void (async () => {
      try {
        for (const key of keys()) {
          if (!(await renewLease(o, key))) lost = true;
        }
        renewedAt = o.now();
      } catch {
        if (o.now() - renewedAt > o.leaseMs) lost = true;
      }
    })();
  }, Math.max(10, Math.floor(o.leaseMs / 3)));
  timer.unref?.();
  return { stop: () => clearInterval(timer), lost: () => lost };
}
