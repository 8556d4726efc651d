/** Every version of one S3 key in the DynamoDB ledger, read with one consistent Query. */
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { fileRowOf, Item, objectPk, s } from './items';
import { FileStatus } from '../../contract/ledger';

export interface VersionSummary {
  readonly id: number;
  readonly status: FileStatus;
  readonly hasCheckpoint: boolean;
  readonly sequencer: string | null;
  readonly modifiedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly key: Item;
}

export class VersionIndex {
  constructor(public readonly versions: readonly VersionSummary[]) {}

  ids(match: (v: VersionSummary) => boolean): number[] {
    return this.versions.filter(match).map((v) => v.id).sort((a, b) => a - b);
  }

  keyOf(id: number): Item {
    const found = this.versions.find((v) => v.id === id);
    if (!found) throw new Error(`internal error: file id ${id} is not a version of this key in the ledger`);
    return found.key;
  }
}

/** Every item under the key's partition whose sort key starts with `prefix`, following pages. */
export async function queryPartition(
  client: DynamoDBClient, table: string, ref: { bucket: string; key: string }, prefix: string,
): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await client.send(new QueryCommand({
      TableName: table,
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': s(objectPk(ref)), ':prefix': s(prefix) },
      ExclusiveStartKey: start,
    }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function readVersions(client: DynamoDBClient, table: string, ref: { bucket: string; key: string }): Promise<VersionIndex> {
  const items = await queryPartition(client, table, ref, 'v#');
  return new VersionIndex(items.map((item) => {
    const row = fileRowOf(item);
    return {
      id: row.id,
      status: row.status,
      hasCheckpoint: item.cpOffset !== undefined,
      sequencer: row.sequencer,
      modifiedAt: row.objectModifiedAt,
      finishedAt: row.finishedAt,
      key: { pk: item.pk, sk: item.sk },
    };
  }));
}
