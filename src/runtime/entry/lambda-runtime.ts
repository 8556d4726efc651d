/**
 * Everything the processor needs, built once per container from the
 * environment and reused by warm invocations (clients, secret, pg pool).
 */
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { S3Client } from '@aws-sdk/client-s3';
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { SNSClient } from '@aws-sdk/client-sns';
import { EventDeps } from './handle-event';
import { ENV } from '../../shared/env';
import { BACKUP_PREFIX, OUTPUT_PREFIXES } from '../../shared/object-keys';
import { fetchRdsSecret } from '../aws/db-secret';
import { CopyOptions } from '../aws/s3-copy';
import { S3Storage } from '../aws/s3-storage';
import { SnsNotifier } from '../aws/sns-notifier';
import { readRuntimeConfig, sinkConfigSource } from '../contract/config';
import { consoleLogger, Logger } from '../contract/logger';
import { EmfMetrics } from '../core/metrics';
import { assertSinksFitLedger, createSinks, sinkSchemaStatements } from '../core/sinks';
import { closeKafkaSinks } from '../kafka';
import { Database, cachedSettings } from '../ledger/database';
import { settingsFromSecret, settingsFromUrl } from '../ledger/db-settings';
import { DynamoDbLedger } from '../ledger/dynamodb';
import { PostgresLedger } from '../ledger/postgres-ledger';

/** Overrides for tests and other hosts; the Lambda uses none. */
export interface RuntimeOptions {
  readonly env?: Record<string, string | undefined>;
  /** Endpoint, region and credentials for every AWS client (moto in tests). */
  readonly aws?: {
    readonly endpoint?: string;
    readonly region?: string;
    readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  };
  readonly log?: Logger;
  readonly writeMetric?: (line: string) => void;
  readonly copy?: CopyOptions;
}

/**
 * The processor's dependencies. Carries `checkpointEvery` from
 * `PIPELINE_CHECKPOINT_EVERY`, so every host that spreads it into processFile's
 * deps (the Lambda handler, `run`) checkpoints the same way.
 */
export interface Runtime extends EventDeps {
  /** The PostgreSQL database (ledger and table sinks), unless the ledger is DynamoDB and no database is set. */
  readonly database?: Database;
  /** Brings the ledger's schema and the sinks' tables up to date (PostgreSQL); nothing to do for DynamoDB. */
  migrate(): Promise<void>;
  /** Ends the pool and the AWS clients' sockets (hosts that exit, tests). */
  close(): Promise<void>;
}

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const env = options.env ?? process.env;
  const config = readRuntimeConfig(env);
  // First: a bad sink configuration fails the cold start, naming where it came from, before any client exists.
  const sinks = createSinks(config.sinks, sinkConfigSource(env));
  const log = options.log ?? consoleLogger;
  const aws = { endpoint: options.aws?.endpoint, region: options.aws?.region, credentials: options.aws?.credentials };
  const s3 = new S3Client({ ...aws, forcePathStyle: config.s3ForcePathStyle });
  const db = config.database;
  const settings = db && cachedSettings(async () => {
    if (db.url) return settingsFromUrl({ ...db, url: db.url });
    const secrets = new SecretsManagerClient(aws);
    try {
      return settingsFromSecret(await fetchRdsSecret(secrets, db.secretArn!), db);
    } finally {
      secrets.destroy();
    }
  });
  const sns = new SNSClient(aws);
  const database = settings && new Database(settings, { log, schemaStatements: sinkSchemaStatements(config.sinks) });
  const dynamodb = config.ledgerTable ? new DynamoDBClient(aws) : undefined;
  if (config.ledgerTable) assertSinksFitLedger(config.sinks, false, sinkConfigSource(env), `the DynamoDB table ${config.ledgerTable} (${ENV.LEDGER_TABLE})`);
  const ledger = dynamodb
    ? new DynamoDbLedger({ client: dynamodb, table: config.ledgerTable!, leaseMs: config.ledgerLeaseMs })
    : new PostgresLedger(database!, log);
  return {
    s3,
    ledger,
    ...(database ? { database } : {}),
    storage: new S3Storage({ s3, outputBucket: config.outputBucket, backupBucket: config.backupBucket, copy: options.copy }),
    notifier: config.topicArn ? new SnsNotifier(sns, config.topicArn) : undefined,
    metrics: new EmfMetrics(config.metricsNamespace, config.pipelineName, options.writeMetric),
    sinks,
    ownOutputs: [
      ...OUTPUT_PREFIXES.map((prefix) => ({ bucket: config.outputBucket, prefix })),
      { bucket: config.backupBucket, prefix: BACKUP_PREFIX },
    ],
    ...(config.checkpointEvery !== undefined ? { checkpointEvery: config.checkpointEvery } : {}),
    pipelineName: config.pipelineName,
    log,
    migrate: async () => { if (database) (await database.connect()).release(); },
    close: async () => {
      // Kafka sinks hold their connections between files in Lambda; a host that ends (CLI, container on SIGTERM, tests) closes them.
      await closeKafkaSinks();
      await database?.end();
      dynamodb?.destroy();
      s3.destroy();
      sns.destroy();
    },
  };
}

let shared: Runtime | undefined;

/** The container-wide runtime; a configuration error is raised again on every invocation. */
export function sharedRuntime(): Runtime {
  shared ??= createRuntime();
  return shared;
}
