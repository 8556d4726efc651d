import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { EXAMPLES, ExampleStack } from './registry';
import { DISABLE_ACKNOWLEDGMENTS_CONTEXT } from '../../src/nag-acknowledgments';

/** The rules each of the HIPAA, NIST 800-53 R5 and PCI DSS 3.2.1 packs has findings for (reviewed by hand). */
const SHARED = (prefix: string, rules: Array<[string, number]>): string[] =>
  rules.flatMap(([rule, n]) => Array<string>(n).fill(`${prefix}-${rule}`));

/**
 * Every pack, with the acknowledgments (finding IDs, bucket logical IDs folded) an example with a Lambda processor
 * must have, reviewed by hand; `BY_EXAMPLE` holds what the other examples have besides or instead.
 */
const PACKS: Array<[string, string, () => NagPack, string[]]> = [
  ['AwsSolutions', 'AwsSolutions-', () => new AwsSolutionsChecks(), [
    'AwsSolutions-EC29',
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
    'AwsSolutions-IAM5[Resource::*]',
    'AwsSolutions-IAM5[Resource::*]',
    'AwsSolutions-IAM5[Resource::*]',
    'AwsSolutions-IAM5[Resource::<Bucket>/*]',
    'AwsSolutions-IAM5[Resource::<Bucket>/backup/*]',
    'AwsSolutions-IAM5[Resource::<Bucket>/rejects/*]',
    'AwsSolutions-IAM5[Resource::<Bucket>/reports/*]',
    'AwsSolutions-IAM5[Resource::<Bucket>/results/*]',
    'AwsSolutions-RDS11',
    'AwsSolutions-SQS3',
  ]],
  ['HIPAA', 'HIPAA.Security-', () => new HIPAASecurityChecks(), SHARED('HIPAA.Security', [
    ['IAMNoInlinePolicy', 2], ['LambdaConcurrency', 1], ['LambdaDLQ', 1], ['S3BucketReplicationEnabled', 4],
    ['S3DefaultEncryptionKMS', 1], ['VPCNoUnrestrictedRouteToIGW', 2],
  ])],
  ['NIST 800-53 R5', 'NIST.800.53.R5-', () => new NIST80053R5Checks(), SHARED('NIST.800.53.R5', [
    ['IAMNoInlinePolicy', 2], ['LambdaConcurrency', 1], ['LambdaDLQ', 1], ['S3BucketReplicationEnabled', 4],
    ['S3DefaultEncryptionKMS', 1], ['VPCNoUnrestrictedRouteToIGW', 2],
  ])],
  ['PCI DSS 3.2.1', 'PCI.DSS.321-', () => new PCIDSS321Checks(), SHARED('PCI.DSS.321', [
    ['IAMNoInlinePolicy', 2], ['S3BucketReplicationEnabled', 4], ['S3DefaultEncryptionKMS', 1], ['VPCNoUnrestrictedRouteToIGW', 2],
  ])],
  ['Serverless', 'Serverless-', () => new ServerlessChecks(), [
    'Serverless-LambdaDLQ',
    'Serverless-LambdaEventSourceMappingDestination',
    'Serverless-SQSRedrivePolicy',
    'Serverless-SQSRedrivePolicy',
  ]],
];

/**
 * An ARN of batch-kafka's created MSK cluster as cdk-nag names it: the cluster's name and UUID come from the cluster's
 * ARN at deploy time (Fn::Select of Fn::Split), e.g. its per-file transactional ids and checkpoint groups.
 */
function kafkaArn(kind: string, name: string): string {
  const arn = { 'Fn::GetAtt': ['PipelineMskClusterC87FD275', 'Arn'] };
  const part = (i: number) => JSON.stringify({ 'Fn::Select': [i, { 'Fn::Split': [':', arn] }] });
  const path = (i: number) => JSON.stringify({ 'Fn::Select': [i, { 'Fn::Split': ['/', { 'Fn::Select': [5, { 'Fn::Split': [':', arn] }] }] }] });
  return `arn:${part(1)}:kafka:${part(3)}:${part(4)}:${kind}/${path(1)}/${path(2)}/${name}`;
}

/**
 * What an example acknowledges besides (`add`) or instead of (`remove`) the list above, reviewed by hand:
 * the container processors' own findings (IAM5 `*`: ecr:GetAuthorizationToken of the execution role and the
 * VPC/X-Ray actions of the migration function; IAM5 `task/<cluster>/*`: the EcsTask target's ecs:TagResource;
 * ECS2: the environment holds no credential; SQS3: the dead-letter queue of the EventBridge targets; IAM4: the
 * Batch EC2 instance role), a schedule's dead-letter queue (SQS3, SQSRedrivePolicy), and no event-source mapping that would need a destination (EventBridge starts
 * the runs, not SQS).
 */
const BY_EXAMPLE: Record<string, { add: string[]; remove: string[] }> = {
  // No database, bastion or Lambda: their acknowledgments go; the Fargate task's and the schedule's come.
  'scheduled-reports': {
    add: [
      'AwsSolutions-ECS2',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:*:task/<PipelineFargateProcessorCluster1150F2D7>/*]',
      'AwsSolutions-SQS3',
      // The nightly schedule's dead-letter queue.
      'AwsSolutions-SQS3',
      'Serverless-SQSRedrivePolicy',
    ],
    remove: [
      'AwsSolutions-EC29',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-RDS11',
      'HIPAA.Security-IAMNoInlinePolicy',
      'HIPAA.Security-IAMNoInlinePolicy',
      'HIPAA.Security-LambdaConcurrency',
      'HIPAA.Security-LambdaDLQ',
      'NIST.800.53.R5-IAMNoInlinePolicy',
      'NIST.800.53.R5-IAMNoInlinePolicy',
      'NIST.800.53.R5-LambdaConcurrency',
      'NIST.800.53.R5-LambdaDLQ',
      'PCI.DSS.321-IAMNoInlinePolicy',
      'PCI.DSS.321-IAMNoInlinePolicy',
      'Serverless-LambdaDLQ',
      'Serverless-LambdaEventSourceMappingDestination',
    ],
  },
  'fargate-postgres': {
    add: [
      'AwsSolutions-ECS2',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:*:task/<PipelineFargateProcessorCluster1150F2D7>/*]',
      'AwsSolutions-SQS3',
      // The nightly schedule's dead-letter queue.
      'AwsSolutions-SQS3',
      'Serverless-SQSRedrivePolicy',
    ],
    remove: ['Serverless-LambdaEventSourceMappingDestination'],
  },
  'batch-spot': {
    add: [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-SQS3',
    ],
    remove: ['Serverless-LambdaEventSourceMappingDestination'],
  },
  'batch-kafka': {
    // batch-spot's, and the Kafka sink's own (applied by its constructs): the topic-creation function (IAM5 `*`: its VPC and
    // X-Ray actions; LambdaConcurrency and LambdaDLQ: one synchronous deploy-time invocation), the AwsCustomResource
    // singleton that reads the MSK bootstrap brokers (IAM5 `*`: X-Ray; L1 and LambdaLatestVersion: aws-cdk-lib's runtime;
    // LambdaInsideVPC: it calls only the MSK API; LambdaConcurrency, LambdaDLQ: invoked by CloudFormation) and the
    // processor's per-file transactional ids and checkpoint groups under the sink's prefixes (IAM5).
    add: [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-SQS3',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::*]',
      `AwsSolutions-IAM5[Resource::${kafkaArn('transactional-id', 'cdk-data-pipeline.orders.*')}]`,
      `AwsSolutions-IAM5[Resource::${kafkaArn('group', 'cdk-data-pipeline.orders.checkpoints.*')}]`,
      'AwsSolutions-L1',
      ...['HIPAA.Security', 'NIST.800.53.R5'].flatMap((p) => SHARED(p, [['LambdaConcurrency', 2], ['LambdaDLQ', 2], ['LambdaInsideVPC', 1]])),
      'PCI.DSS.321-LambdaInsideVPC',
      'Serverless-LambdaDLQ',
      'Serverless-LambdaDLQ',
      'Serverless-LambdaLatestVersion',
    ],
    // The DynamoDB ledger: no database (RDS11, its monitoring role, the migration and rotation functions' findings).
    remove: [
      'Serverless-LambdaEventSourceMappingDestination',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-RDS11',
      ...['HIPAA.Security', 'NIST.800.53.R5'].flatMap((p) => [`${p}-IAMNoInlinePolicy`, `${p}-LambdaConcurrency`, `${p}-LambdaDLQ`]),
      'PCI.DSS.321-IAMNoInlinePolicy',
      'Serverless-LambdaDLQ',
    ],
  },
  'container-lambda-bastion': {
    // The bastion's public IP (placement: BastionPlacement.PUBLIC, SSH from one CIDR), and the instance's
    // subnet being in its network interface, which EC2InstancesInVPC does not look at.
    add: ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'].flatMap((p) => [`${p}-EC2InstanceNoPublicIp`, `${p}-EC2InstancesInVPC`]),
    remove: [],
  },
};

/** Acknowledgments that match no finding, as `id @ construct path` (a defect of the construct when not empty). */
const UNMATCHED: Record<string, string[]> = {};

/** The reviewed list of one example and pack. */
function expectedAcknowledgments(example: string, prefix: string, base: string[]): string[] {
  const { add, remove } = BY_EXAMPLE[example] ?? { add: [], remove: [] };
  const list = [...base, ...add.filter((id) => id.startsWith(prefix))];
  for (const id of remove.filter((r) => r.startsWith(prefix))) {
    const i = list.indexOf(id);
    if (i < 0) throw new Error(`BY_EXAMPLE['${example}'] removes ${id}, which the base list does not have`);
    list.splice(i, 1);
  }
  return list.sort();
}

/** cdk-nag findings of the example for one pack as `RuleId @ construct path`, after acknowledgments. */
function findings(pack: () => NagPack, build: (app: App) => ExampleStack, context: Record<string, unknown> = {}): string[] {
  const app = new App({ context });
  build(app);
  const report = pack().validateScope(app);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`)).sort();
}

const CASES = EXAMPLES.flatMap(([example, build]) => PACKS.map(([pack, prefix, make, base]) =>
  [example, pack, { build, prefix, make, expected: expectedAcknowledgments(example, prefix, base), unmatched: UNMATCHED[example] ?? [] }] as const));

describe.each(CASES)('cdk-nag on examples/%s: %s', (_example, _pack, { build, prefix, make, expected, unmatched }) => {
  test('zero unacknowledged findings', () => {
    expect(findings(make, build)).toEqual([]);
  });

  test('every acknowledgment matches a real finding, and the list is exactly this', () => {
    const raw = findings(make, build, { [DISABLE_ACKNOWLEDGMENTS_CONTEXT]: true });
    const { pipeline } = build(new App());
    const acks = pipeline.nagAcknowledgments.filter((a) => a.id.startsWith(prefix));
    // Each acknowledgment of this pack is used by at least one raw finding under its construct...
    for (const a of acks) {
      const path = a.construct.node.path;
      expect({ ack: a.id, path, matches: raw.filter((f) => f.startsWith(`${a.id} @ ${path}`)).length > 0 })
        .toEqual({ ack: a.id, path, matches: !unmatched.includes(`${a.id} @ ${path}`) });
      expect(a.reason.length).toBeGreaterThan(60);
    }
    // ...every raw finding is under an acknowledgment of its rule...
    for (const f of raw) {
      const [id, path] = f.split(' @ ');
      expect({ finding: f, covered: acks.some((a) => a.id === id && (path === a.construct.node.path || path.startsWith(`${a.construct.node.path}/`))) })
        .toEqual({ finding: f, covered: true });
    }
    // ...and the list is exactly the one reviewed by hand.
    expect(acks.map((a) => a.id.replace(/<[A-Za-z0-9]+(Bucket)[A-F0-9]{8}\.Arn>/, '<$1>')).sort()).toEqual(expected);
  });
});

test('BY_EXAMPLE and UNMATCHED name only registered examples', () => {
  expect([...Object.keys(BY_EXAMPLE), ...Object.keys(UNMATCHED)].filter((e) => !EXAMPLES.some(([name]) => name === e))).toEqual([]);
});

test('every acknowledgment belongs to one of the five packs', () => {
  for (const [, build] of EXAMPLES) {
    const { pipeline } = build(new App());
    for (const a of pipeline.nagAcknowledgments) {
      expect(PACKS.some(([, prefix]) => a.id.startsWith(prefix))).toBe(true);
    }
  }
});
