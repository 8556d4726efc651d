/**
 * Shared setup for the runtime tests: real buckets, topics and secrets in
 * moto, a real database per test file, and S3 events shaped like the ones S3
 * sends.
 */
import * as http from 'http';
import {
  CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutBucketVersioningCommand, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { Client } from 'pg';
import { silentLogger } from '../../src/runtime/contract/logger';
import { createRuntime, Runtime } from '../../src/runtime/entry/lambda-runtime';
import type { ColumnConfig, PostgresTableSinkConfig } from '../../src/shared/sink-config';
import { motoClientConfig, motoEndpoint, uniqueName } from '../support/moto';

let sharedS3: S3Client | undefined;
export const s3 = () => (sharedS3 ??= new S3Client(motoClientConfig()));
/** Lets jest exit promptly instead of waiting for idle keep-alive sockets. */
export const closeHelpers = () => {
  sharedS3?.destroy();
  sharedS3 = undefined;
};

export interface TestAws {
  readonly input: string;
  readonly output: string;
  readonly backup: string;
  readonly topicArn: string;
}

export async function createAws(options: { versioned?: boolean } = {}): Promise<TestAws> {
  const client = s3();
  const [input, output, backup] = ['in', 'out', 'bak'].map((p) => uniqueName(p));
  for (const bucket of [input, output, backup]) await client.send(new CreateBucketCommand({ Bucket: bucket }));
  if (options.versioned) {
    await client.send(new PutBucketVersioningCommand({ Bucket: input, VersioningConfiguration: { Status: 'Enabled' } }));
  }
  const sns = new SNSClient(motoClientConfig());
  const topic = await sns.send(new CreateTopicCommand({ Name: uniqueName('topic') }));
  sns.destroy();
  return { input, output, backup, topicArn: topic.TopicArn! };
}

export function runtimeEnv(aws: TestAws, databaseUrl: string): Record<string, string> {
  return {
    PIPELINE_DATABASE_URL: databaseUrl,
    PIPELINE_DB_SSL: 'disable',
    PIPELINE_OUTPUT_BUCKET: aws.output,
    PIPELINE_BACKUP_BUCKET: aws.backup,
    PIPELINE_TOPIC_ARN: aws.topicArn,
    PIPELINE_NAME: 'test-pipeline',
    PIPELINE_METRICS_NAMESPACE: 'TestNs',
    PIPELINE_S3_FORCE_PATH_STYLE: 'true',
  };
}

export interface TestRuntime extends Runtime {
  readonly metricLines: string[];
}

export function testRuntime(aws: TestAws, databaseUrl: string, env: Record<string, string> = {}): TestRuntime {
  const metricLines: string[] = [];
  const runtime = createRuntime({
    env: { ...runtimeEnv(aws, databaseUrl), ...env },
    aws: motoClientConfig(),
    log: silentLogger,
    writeMetric: (line) => metricLines.push(line),
  });
  return { ...runtime, metricLines };
}

export async function putObject(bucket: string, key: string, body: string | Buffer) {
  const data = Buffer.from(body);
  const out = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ContentLength: data.length }));
  return { versionId: out.VersionId, eTag: out.ETag!.replace(/"/g, '') };
}

/** Keys in events are form-encoded by S3: space as `+`, slashes kept. */
export function encodeEventKey(key: string): string {
  return key.split('/').map((s) => encodeURIComponent(s).replace(/%20/g, '+')).join('/');
}

export function s3Event(
  bucket: string, key: string, object: { versionId?: string; eTag?: string; size?: number; sequencer?: string } = {}, eventName = 'ObjectCreated:Put',
) {
  return {
    Records: [{
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: new Date().toISOString(),
      eventName,
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { key: encodeEventKey(key), ...object },
      },
    }],
  };
}

let uploads = 0n;
/** Grows with every upload, like the hex sequencer S3 puts in the events of one key. */
export function nextSequencer(): string {
  uploads += 1n;
  return (BigInt(Date.now()) * 1000n + uploads).toString(16).toUpperCase().padStart(18, '0');
}

/** The SQS event the Lambda event source sends for these S3 notifications. */
export function sqsEvent(...bodies: unknown[]) {
  return {
    Records: bodies.map((body, i) => ({
      eventSource: 'aws:sqs',
      messageId: `m-${i}`,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      attributes: { ApproximateReceiveCount: '1' },
    })),
  };
}

/** Uploads and returns the event S3 would send for it. */
export async function upload(bucket: string, key: string, body: string | Buffer) {
  const put = await putObject(bucket, key, body);
  const sequencer = nextSequencer();
  return { ...put, sequencer, event: s3Event(bucket, key, { ...put, size: Buffer.byteLength(body), sequencer }) };
}

export async function readText(bucket: string, key: string): Promise<string> {
  const out = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return out.Body!.transformToString();
}

export async function exists(bucket: string, key: string): Promise<boolean> {
  try {
    await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

export async function listKeys(bucket: string, prefix = ''): Promise<string[]> {
  const out = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

/** No keep-alive (unlike global fetch), so nothing holds jest open afterwards. */
function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/**
 * moto serialises its whole state for this endpoint; while other test files
 * change that state in parallel it can fail with a 500, so try again.
 */
async function motoState(): Promise<string> {
  let last = { status: 0, body: '' };
  for (let i = 0; i < 10; i++) {
    last = await httpGet(`${motoEndpoint()}/moto-api/data.json`);
    if (last.status === 200) return last.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto-api/data.json failed with HTTP ${last.status}: ${last.body.slice(0, 300)}`);
}

export interface SentMessage {
  readonly subject: string;
  readonly body: Record<string, unknown>;
  readonly attributes: Record<string, { Type: string; Value: string }>;
}

/** What moto's SNS backend recorded as published to the topic (its state, not a client-side spy). */
export async function sentMessages(topicArn: string): Promise<SentMessage[]> {
  type Attributes = Record<string, { Type: string; Value: string }>;
  const data = JSON.parse(await motoState()) as { sns: { Topic: { arn: string; sent_notifications: [string, string, string, Attributes][] }[] } };
  const topic = data.sns.Topic.find((t) => t.arn === topicArn);
  return (topic?.sent_notifications ?? []).map(([, message, subject, attributes]) => ({
    subject, body: JSON.parse(message), attributes: attributes ?? {},
  }));
}

export async function query<T extends Record<string, unknown> = Record<string, any>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export const fileRows = (url: string) => query(url, 'SELECT * FROM file_metadata ORDER BY id');

/** A table sink's configuration as the construct ships it: public schema, extra columns ignored, `extra` on top. */
export function tableSinkConfig(table: string, columns: ColumnConfig[], extra: Partial<PostgresTableSinkConfig> = {}): PostgresTableSinkConfig {
  return { kind: 'postgresTable', schema: 'public', table, badRows: 'FAIL_FILE', extraColumns: 'IGNORE', columns, ...extra };
}
