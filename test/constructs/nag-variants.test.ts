import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { BastionPlacement, BatchComputeType, CdkPipeline, CdkPipelineProps, Ledger, Measure, Processor, Sink } from '../../src';

/** Options that add, remove or replace resources: the five packs stay clean with each. */
const VARIANTS: Array<[string, (s: Stack) => CdkPipelineProps]> = [
  ['natGateways: 0 (no public subnets)', () => ({ natGateways: 0 })],
  ['natGateways: 2 with e-mails', () => ({ natGateways: 2, notificationEmails: ['ops@example.com'] })],
  ['no bastion, no e-mails', () => ({ bastion: false })],
  ['your own input bucket (notifications added to it)', (s) => ({
    inputBucket: new s3.Bucket(s, 'In', {
      encryption: s3.BucketEncryption.KMS,
      bucketKeyEnabled: true,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      serverAccessLogsPrefix: 'self/',
    }),
  })],
  ['your own key', (s) => ({ encryptionKey: new kms.Key(s, 'Own', { enableKeyRotation: true }), notificationEmails: ['ops@example.com'] })],
  ['backupReplicationBucket', (s) => ({
    backupReplicationBucket: s3.Bucket.fromBucketAttributes(s, 'Dr', {
      bucketName: 'dr-backups',
      region: 'eu-central-1',
      encryptionKey: kms.Key.fromKeyArn(s, 'DrKey', 'arn:aws:kms:eu-central-1:111111111111:key/00000000-0000-0000-0000-000000000000'),
    }),
  })],
  ['Processor.lambdaContainer()', () => ({ processor: Processor.lambdaContainer() })],
  ['a public bastion with SSH from one CIDR', () => ({ singleVpc: true, bastionPlacement: BastionPlacement.PUBLIC, bastionSshCidr: '203.0.113.0/24' })],
  ['Processor.fargate(), natGateways: 0', () => ({ processor: Processor.fargate(), natGateways: 0 })],
  ['Processor.fargate({ spot: true }) with e-mails', () => ({ processor: Processor.fargate({ spot: true }), notificationEmails: ['ops@example.com'] })],
  ['Processor.batch() (Fargate Spot), natGateways: 0', () => ({ processor: Processor.batch(), natGateways: 0 })],
  ['Processor.batch() on EC2 Spot', () => ({ processor: Processor.batch({ computeType: BatchComputeType.EC2 }) })],
  ['Ledger.dynamoDb(), Processor.fargate({ spot: true }), Sink.report()', () => ({
    ledger: Ledger.dynamoDb(), processor: Processor.fargate({ spot: true }), sinks: [Sink.report({ groupBy: ['region'], measures: [Measure.count()] })],
  })],
  ['Ledger.dynamoDb(), Processor.lambdaZip()', () => ({ ledger: Ledger.dynamoDb() })],
];
const PACKS = [AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks];

describe.each(VARIANTS)('cdk-nag, all five packs: %s', (_name, props) => {
  test.each(PACKS.map((p) => [p.name, p] as const))('%s: zero unacknowledged findings', (_pack, Pack) => {
    const app = new App();
    const stack = new Stack(app, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
    const pipeline = new CdkPipeline(stack, 'P', props(stack));
    // A scheduled run added after the pipeline is built acknowledges its own findings.
    pipeline.processor.addScheduledRun(pipeline, 'Nightly', {
      schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '0' }), bucket: pipeline.inputBucket, prefix: 'raw/{date}/', suffix: '.csv',
    });
    const report = new Pack().validateScope(app);
    // A bucket you bring is yours to configure (here: not replicated); what
    // the pipeline adds to it (S3 notifications) is acknowledged by the pipeline.
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`))
      .filter((f) => !f.endsWith(' @ S/In/Resource'));
    expect(findings).toEqual([]);
  });
});
