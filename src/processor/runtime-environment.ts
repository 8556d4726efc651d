import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { PipelineDatabase } from '../database/pipeline-database';
import { ENV } from '../shared/env';

/** What the runtime's environment is made of. @internal */
export interface RuntimeEnvironmentOptions {
  /** Undefined with a ledger outside the database. */
  readonly database?: PipelineDatabase;
  /** What the ledger's program needs to find it (`PIPELINE_LEDGER_TABLE`). */
  readonly ledgerEnvironment?: { [key: string]: string };
  readonly outputBucket: s3.IBucket;
  readonly backupBucket: s3.IBucket;
  readonly topic: sns.ITopic;
  readonly metricsNamespace: string;
  readonly pipelineName: string;
}

/**
 * The environment every processor gives the runtime program (the contract in
 * src/shared/env.ts). Only short values: the sink configuration, which can
 * be large, travels separately (`ProcessorBindContext.sinksJson`).
 *
 * @internal
 */
export function runtimeEnvironment(o: RuntimeEnvironmentOptions): { [key: string]: string } {
  return {
    ...(o.database ? { [ENV.DB_SECRET_ARN]: o.database.secret.secretArn } : {}),
    // Unset for your own instance without databaseName: the runtime then uses the secret's dbname.
    ...(o.database?.databaseName !== undefined ? { [ENV.DB_NAME]: o.database.databaseName } : {}),
    ...o.ledgerEnvironment,
    [ENV.OUTPUT_BUCKET]: o.outputBucket.bucketName,
    [ENV.BACKUP_BUCKET]: o.backupBucket.bucketName,
    [ENV.TOPIC_ARN]: o.topic.topicArn,
    [ENV.METRICS_NAMESPACE]: o.metricsNamespace,
    [ENV.PIPELINE_NAME]: o.pipelineName,
  };
}
