import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CdkPipeline } from 'cdk-data-pipeline';
import { ExampleStackProps, notificationEmails } from '../shared';

/** Props of the example stack. */
export type LambdaMetadataStackProps = ExampleStackProps;

/**
 * Two peered VPCs, endpoints, input/output/backup buckets, RDS PostgreSQL
 * with a file_metadata table, a Lambda processor triggered by uploads, SNS
 * e-mail on success and failure, alarms (errors > 0, duration > 5 s).
 */
export class LambdaMetadataStack extends Stack {
  public readonly pipeline: CdkPipeline;

  constructor(scope: Construct, id: string, props: LambdaMetadataStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new CdkPipeline(this, 'Pipeline', {
      notificationEmails: notificationEmails(props),
    });
  }
}
