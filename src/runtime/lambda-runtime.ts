/**
 * Everything the processor needs, built once per container from the
 * environment and reused by warm invocations (clients, secret, pg pool).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { readRuntimeConfig } from './config';
import { Database, cachedSettings } from './database';
import { fetchRdsSecret } from './db-secret';
import { settingsFromSecret, settingsFromUrl } from './db-settings';
import { EventDeps } from './handle-event';
import { consoleLogger, Logger } from './logger';
import { EmfMetrics } from './metrics';
import { CopyOptions } from './s3-copy';
import { S3Storage } from './s3-storage';
import { createSinks } from './sinks';
import { SnsNotifier } from './sns-notifier';

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

export function createRuntime(options: RuntimeOptions = {}): EventDeps {
  const config = readRuntimeConfig(options.env ?? process.env);
  const log = options.log ?? consoleLogger;
  const aws = { endpoint: options.aws?.endpoint, region: options.aws?.region, credentials: options.aws?.credentials };
  const s3 = new S3Client({ ...aws, forcePathStyle: config.s3ForcePathStyle });
  const db = config.database;
  const settings = cachedSettings(async () => {
    if (db.url) return settingsFromUrl({ ...db, url: db.url });
    const secret = await fetchRdsSecret(new SecretsManagerClient(aws), db.secretArn!);
    return settingsFromSecret(secret, db);
  });
  return {
    s3,
    database: new Database(settings, { log }),
    storage: new S3Storage({ s3, outputBucket: config.outputBucket, backupBucket: config.backupBucket, copy: options.copy }),
    notifier: config.topicArn ? new SnsNotifier(new SNSClient(aws), config.topicArn) : undefined,
    metrics: new EmfMetrics(config.metricsNamespace, config.pipelineName, options.writeMetric),
    sinks: createSinks(config.sinks),
    pipelineName: config.pipelineName,
    log,
  };
}

let shared: EventDeps | undefined;

/** The container-wide runtime; a configuration error is raised again on every invocation. */
export function sharedRuntime(): EventDeps {
  shared ??= createRuntime();
  return shared;
}
