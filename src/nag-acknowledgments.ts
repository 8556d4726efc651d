import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';

/**
 * One cdk-nag finding the pipeline cannot fix, with the reason. This list is
 * the only place the library acknowledges findings; the test suite checks
 * that each entry matches a real finding and that nothing else is reported.
 */
export interface NagAcknowledgment {
  /** The rule, with the finding in brackets for rules that report several (e.g. `AwsSolutions-IAM5[Resource::*]`). */
  readonly id: string;
  /** Why the finding stays. */
  readonly reason: string;
  /** The construct the acknowledgment is attached to. */
  readonly construct: IConstruct;
}

/** Context key that turns the library's acknowledgments off (used by the tests to list raw findings). */
export const DISABLE_ACKNOWLEDGMENTS_CONTEXT = 'cdk-data-pipeline:disableNagAcknowledgments';

/** What the pipeline passes in to have its findings acknowledged. @internal */
export interface AcknowledgmentTargets {
  readonly databaseInstance?: IConstruct;
  readonly processorRole?: iam.IRole;
  readonly processorObjectArns: string[];
  /** The Lambda processor's function, when the processor is one. */
  readonly processorFunction?: IConstruct;
  readonly processorDeadLetterQueue?: IConstruct;
  readonly subscriptionDeadLetterQueue?: IConstruct;
  /** Buckets the construct created, by what they hold. */
  readonly buckets: { [name: string]: IConstruct | undefined };
  /** Every bucket a trigger may have added S3 notifications to (created or brought). */
  readonly notificationBuckets: IConstruct[];
  /** Whether the backup bucket replicates (then its replication finding is gone). */
  readonly backupReplicated: boolean;
  /** The backup bucket's replication role, and the object ARNs its policy names. */
  readonly replicationRole?: iam.IRole;
  readonly replicationObjectArns: string[];
  readonly accessLogBucket?: IConstruct;
  /** Public subnets of a VPC the construct created for its NAT gateways. */
  readonly natPublicSubnets: IConstruct[];
}

/** The rule-id prefixes of the packs that share a rule. */
const HIPAA = 'HIPAA.Security';
const NIST = 'NIST.800.53.R5';
const PCI = 'PCI.DSS.321';

/**
 * The acknowledgments of one pipeline. Every reason names the resource and
 * why the finding cannot be fixed without losing function.
 *
 * @internal
 */
export function pipelineAcknowledgments(scope: IConstruct, t: AcknowledgmentTargets): NagAcknowledgment[] {
  const stack = Stack.of(scope);
  const list: NagAcknowledgment[] = [];
  const add = (construct: IConstruct | undefined, id: string, reason: string) => {
    if (construct) list.push({ construct, id, reason });
  };
  const inPacks = (construct: IConstruct | undefined, rule: string, packs: string[], reason: string) =>
    packs.forEach((p) => add(construct, `${p}-${rule}`, reason));

  add(t.databaseInstance, 'AwsSolutions-RDS11',
    'The database keeps PostgreSQL\'s standard port so standard tools work; it sits in isolated subnets and its security group admits only the processor and bastion groups. Set `port` on PipelineDatabase to change it.');
  const monitoringRole = t.databaseInstance?.node.tryFindChild('MonitoringRole');
  add(monitoringRole, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
    'The enhanced-monitoring role of the database is assumed only by monitoring.rds.amazonaws.com; AmazonRDSEnhancedMonitoringRole is the policy RDS documents for it and only writes the RDSOSMetrics log group.');
  const backupRoles: Array<[IConstruct | undefined, string]> = [
    [t.databaseInstance?.node.scope?.node.tryFindChild('BackupPlan')?.node.tryFindChild('Database')?.node.tryFindChild('Role'), 'database'],
    [scope.node.tryFindChild('BackupPlan')?.node.tryFindChild('LedgerTable')?.node.tryFindChild('Role'), 'DynamoDB ledger table'],
  ];
  for (const [role, of] of backupRoles) {
    add(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      `The AWS Backup selection role of the ${of} plan is assumed only by backup.amazonaws.com; AWSBackupServiceRolePolicyForBackup is the service-role policy AWS Backup documents and maintains for taking backups.`);
  }

  const processorPolicy = t.processorRole ? policyOf(t.processorRole) : undefined;
  // Only a Lambda processor's role has these `*` statements; a container task role has none.
  if (t.processorFunction) {
    add(processorPolicy, 'AwsSolutions-IAM5[Resource::*]',
      'Two statements of the processor policy: ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DescribeSubnets, DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses (Lambda creates the function\'s VPC interfaces with them) and xray:PutTraceSegments, xray:PutTelemetryRecords (active tracing); neither EC2 nor X-Ray supports resource-level permissions for these actions.');
  }
  for (const arn of t.processorObjectArns) {
    add(processorPolicy, `AwsSolutions-IAM5[Resource::${nagResourceString(stack, arn)}]`,
      'Object keys are only known when a file arrives: the wildcard is limited to the key part of the one bucket (and prefix) the processor reads or writes.');
  }

  if (t.processorFunction) {
    inPacks(t.processorFunction, 'LambdaConcurrency', [HIPAA, NIST],
      'The processor function\'s concurrency is capped by its SQS event source (`maxConcurrency`, 5 by default), which protects the database without reserving account concurrency; set `reservedConcurrentExecutions` to reserve it as well.');
    inPacks(t.processorFunction, 'LambdaDLQ', [HIPAA, NIST, 'Serverless'],
      'The processor function is invoked synchronously by its SQS event source, never asynchronously, so a function DLQ would receive nothing: failed files move to the queue\'s redrive dead-letter queue after retryAttempts + 1 attempts, and an alarm watches it.');
    const mapping = t.processorFunction.node.findAll().find((c) => c instanceof lambda.CfnEventSourceMapping);
    add(mapping, 'Serverless-LambdaEventSourceMappingDestination',
      'The processor\'s event source is an SQS queue, for which Lambda supports no on-failure destination; the queue\'s redrive policy moves failed messages to its dead-letter queue instead.');
  }
  add(t.processorDeadLetterQueue, 'Serverless-SQSRedrivePolicy',
    'The processor\'s DeadLetterQueue is itself the redrive target of the processor queue: a dead-letter queue of a dead-letter queue would only move the same messages again. Messages stay 14 days and the DeadLetterMessages alarm fires on the first.');
  add(t.subscriptionDeadLetterQueue, 'Serverless-SQSRedrivePolicy',
    'SubscriptionDeadLetterQueue is itself the dead-letter queue of the topic\'s e-mail subscriptions; nothing consumes it, so no message can fail there and a further dead-letter queue would stay empty.');
  add(t.subscriptionDeadLetterQueue, 'AwsSolutions-SQS3',
    'SubscriptionDeadLetterQueue is the dead-letter queue of the topic\'s e-mail subscriptions (an SNS redrive policy, which the rule does not recognise as a queue redrive).');


  const replicationReason = (name: string) => `The ${name} bucket is not replicated to another region by default: Cross-Region Replication doubles storage and adds transfer cost and a second region to operate. ` +
    (name === 'backup' ? 'Set `backupReplicationBucket` to replicate it.' : 'Its data is recoverable from the backup bucket, which `backupReplicationBucket` replicates.');
  for (const [name, bucket] of Object.entries(t.buckets)) {
    if (name === 'backup' && t.backupReplicated) continue;
    inPacks(bucket, 'S3BucketReplicationEnabled', [HIPAA, NIST, PCI], replicationReason(name));
  }
  const replicationPolicy = t.replicationRole ? policyOf(t.replicationRole) : undefined;
  for (const arn of t.replicationObjectArns) {
    add(replicationPolicy, `AwsSolutions-IAM5[Resource::${nagResourceString(stack, arn)}]`,
      'The backup replication role replicates every object version of the backup bucket to the replication bucket: S3 replication names objects only by key pattern, and the wildcard covers the keys of these two buckets only.');
  }
  inPacks(t.accessLogBucket, 'S3BucketReplicationEnabled', [HIPAA, NIST, PCI],
    'The AccessLogBucket holds only S3 server access logs of the pipeline buckets; replicating them to another region would double their cost for no recovery benefit.');
  inPacks(t.accessLogBucket, 'S3DefaultEncryptionKMS', [HIPAA, NIST, PCI],
    'The AccessLogBucket is the target of S3 server access logging, which supports only SSE-S3 (AES-256) on its target bucket; SSE-KMS there would make log delivery fail.');
  for (const subnet of t.natPublicSubnets) {
    inPacks(subnet.node.tryFindChild('DefaultRoute'), 'VPCNoUnrestrictedRouteToIGW', [HIPAA, NIST, PCI],
      `${subnet.node.id} of the processing VPC exists only for the NAT gateways (no public IP is assigned on launch, nothing else runs there); its 0.0.0.0/0 route to the Internet gateway is what NAT needs. Set \`natGateways: 0\` to remove public subnets.`);
  }

  // Singleton functions aws-cdk-lib adds to the stack for S3 notifications
  // and log retention: their code and roles belong to aws-cdk-lib.
  for (const child of stack.node.children) {
    if (child.node.id.startsWith('BucketNotificationsHandler') || child.node.id.startsWith('LogRetention')) {
      const role = child.node.tryFindChild('Role') ?? child.node.tryFindChild('ServiceRole');
      add(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        `${child.node.id} is a singleton function of aws-cdk-lib (S3 notification and log-retention custom resources); its role uses AWSLambdaBasicExecutionRole only to write its own logs.`);
      if (child.node.id.startsWith('LogRetention')) {
        const policy = role?.node.tryFindChild('DefaultPolicy');
        add(policy, 'AwsSolutions-IAM5[Resource::*]',
          'aws-cdk-lib\'s log-retention function sets retention on log groups created later by RDS, whose ARNs it cannot know in advance.');
        inPacks(policy?.node.defaultChild, 'IAMNoInlinePolicy', [HIPAA, NIST, PCI],
          `The inline policy of ${child.node.id} (aws-cdk-lib's log-retention singleton, for the RDS log exports) is created by aws-cdk-lib, which offers no managed-policy option for it.`);
      }
    }
  }
  for (const bucket of t.notificationBuckets) {
    const handlerPolicy = bucket.node.tryFindChild('Notifications')?.node.tryFindChild('HandlerPolicy')?.node.defaultChild;
    inPacks(handlerPolicy, 'IAMNoInlinePolicy', [HIPAA, NIST, PCI],
      'HandlerPolicy is the inline policy aws-cdk-lib attaches to its BucketNotificationsHandler singleton role (s3:PutBucketNotification for this bucket only); aws-cdk-lib offers no managed-policy option for it.');
  }
  return list;
}

/** What a container processor (Fargate or Batch) passes in to have its findings acknowledged. @internal */
export interface ContainerProcessorAcknowledgmentTargets {
  readonly executionRole: iam.IRole;
  readonly eventRole: iam.IRole;
  /** The dead-letter queue of its EventBridge targets. */
  readonly deadLetterQueue: IConstruct;
  readonly migrationFunction?: IConstruct;
  readonly migrationRole?: iam.IRole;
  /** The task definition whose container takes the runtime's environment (Fargate only). */
  readonly taskDefinition?: IConstruct;
  /** The instance role of an EC2 compute environment (Batch on EC2 only). */
  readonly instanceRole?: IConstruct;
}

/**
 * The acknowledgments of a Fargate or Batch processor: applied by the
 * processor itself, listed in the pipeline's `nagAcknowledgments`.
 *
 * @internal
 */
export function containerProcessorAcknowledgments(scope: IConstruct, t: ContainerProcessorAcknowledgmentTargets): NagAcknowledgment[] {
  void scope;
  const list: NagAcknowledgment[] = [];
  const add = (construct: IConstruct | undefined, id: string, reason: string) => {
    if (construct) list.push({ construct, id, reason });
  };
  add(policyOf(t.executionRole), 'AwsSolutions-IAM5[Resource::*]',
    'The processor\'s execution role needs ecr:GetAuthorizationToken to pull its image, an action ECR supports on no resource but *; the image pull itself (BatchGetImage, GetDownloadUrlForLayer) names the one repository.');
  add(t.deadLetterQueue, 'AwsSolutions-SQS3',
    'The processor\'s DeadLetterQueue is itself the dead-letter queue of its EventBridge targets (upload rules, failure notifications); nothing consumes it, so a further dead-letter queue would stay empty. The DeadLetters alarm fires on its first message.');
  add(t.taskDefinition, 'AwsSolutions-ECS2',
    'The processor container\'s environment holds only names, ARNs and the sink configuration (the runtime contract), no credential: the program reads the database password from Secrets Manager at run time with its task role.');
  add(policyOf(t.migrationRole), 'AwsSolutions-IAM5[Resource::*]',
    'Two statements of the migration function\'s policy: the EC2 network-interface actions Lambda uses to place the function in the VPC and xray:PutTraceSegments/PutTelemetryRecords (active tracing); neither EC2 nor X-Ray supports resource-level permissions for these actions.');
  for (const p of [HIPAA, NIST]) {
    add(t.migrationFunction, `${p}-LambdaConcurrency`,
      'The migration function is invoked once per deployment, synchronously, by the deploy-time trigger; reserving concurrency for it would take account capacity for nothing.');
  }
  for (const p of [HIPAA, NIST, 'Serverless']) {
    add(t.migrationFunction, `${p}-LambdaDLQ`,
      'The migration function is invoked synchronously (RequestResponse) by the deploy-time trigger, never asynchronously: a failure fails the deployment, and a function DLQ would receive nothing.');
  }
  add(t.instanceRole, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]',
    'The instance role of the Batch EC2 compute environment is assumed only by its instances; AmazonEC2ContainerServiceforEC2Role is the policy AWS documents for the ECS agent that runs the jobs (the jobs themselves use the job role).');
  return list;
}

/**
 * The acknowledgment of the ecs:TagResource grant aws-cdk-lib's EcsTask
 * target adds to the upload rule's role (Fargate), once it is there.
 *
 * @internal
 */
export function taggedTasksAcknowledgments(eventRole: iam.IRole, taggedTasksArn: string): NagAcknowledgment[] {
  const policy = policyOf(eventRole);
  return policy ? [{
    construct: policy,
    id: `AwsSolutions-IAM5[Resource::${nagResourceString(Stack.of(eventRole), taggedTasksArn)}]`,
    reason: 'The EventBridge role of the upload rule may tag the tasks it starts (ecs:TagResource, granted by aws-cdk-lib\'s EcsTask target): task IDs are only known when a task starts, and the wildcard is limited to tasks of the processor\'s own cluster.',
  }] : [];
}

/**
 * The acknowledgments of one scheduled run: applied where the run is created.
 *
 * @internal
 */
/** The on-failure queue of a Lambda processor's scheduled invocations. @internal */
export function failedInvocationsAcknowledgments(queue: IConstruct): NagAcknowledgment[] {
  return [
    { construct: queue, id: 'AwsSolutions-SQS3', reason: 'FailedScheduledRuns is itself the on-failure destination of the function\'s asynchronous invocations; nothing consumes it, so a further dead-letter queue would stay empty. An alarm fires on its first message.' },
    { construct: queue, id: 'Serverless-SQSRedrivePolicy', reason: 'FailedScheduledRuns is itself where failed asynchronous invocations end: a dead-letter queue of it would only move the same messages again.' },
  ];
}

export function scheduledRunAcknowledgments(deadLetterQueue: IConstruct, role: iam.IRole, functionArn?: string): NagAcknowledgment[] {
  const list: NagAcknowledgment[] = [
    { construct: deadLetterQueue, id: 'AwsSolutions-SQS3', reason: 'The schedule\'s DeadLetterQueue is itself the dead-letter queue of EventBridge Scheduler; nothing consumes it, so a further dead-letter queue would stay empty. An alarm fires on its first message.' },
    { construct: deadLetterQueue, id: 'Serverless-SQSRedrivePolicy', reason: 'The schedule\'s DeadLetterQueue is itself the dead-letter queue of EventBridge Scheduler: a dead-letter queue of a dead-letter queue would only move the same messages again.' },
  ];
  const policy = policyOf(role);
  if (functionArn && policy) {
    list.push({
      construct: policy,
      id: `AwsSolutions-IAM5[Resource::${nagResourceString(Stack.of(role), functionArn)}:*]`,
      reason: 'The schedule\'s role may invoke the processor function and its versions (lambda:InvokeFunction on the function ARN and ARN:*, as aws-cdk-lib\'s LambdaInvoke target grants); no other function.',
    });
  }
  return list;
}

/** Attaches acknowledgments, unless the tests turned them off. @internal */
export function applyAcknowledgments(scope: IConstruct, acks: NagAcknowledgment[]): void {
  if (scope.node.tryGetContext(DISABLE_ACKNOWLEDGMENTS_CONTEXT)) return;
  for (const a of acks) {
    if (a.id.split('::').length > 2) {
      // Validations.acknowledge() rejects IDs with more than one '::', which
      // findings naming ARNs (`arn:<AWS::Partition>:...`) have; record them in
      // the same metadata entry acknowledge() writes and cdk-nag reads.
      a.construct.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [a.id]: a.reason });
    } else {
      Validations.of(a.construct).acknowledge({ id: a.id, reason: a.reason });
    }
  }
}

/** The policy resource a role's statements are in: its managed `Policy`, or its inline `DefaultPolicy`. */
function policyOf(role: iam.IRole | undefined): IConstruct | undefined {
  return role && (role.node.tryFindChild('Policy') ?? role.node.tryFindChild('DefaultPolicy'))?.node.defaultChild;
}

/**
 * Renders an ARN the way cdk-nag names it in a finding:
 * `Fn::GetAtt` -> `<Logical.Attr>`, `Ref` -> `<Logical>`, joins concatenated.
 */
export function nagResourceString(stack: Stack, value: string): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, any>;
      if ('Fn::GetAtt' in o) return `<${o['Fn::GetAtt'][0]}.${o['Fn::GetAtt'][1]}>`;
      if ('Ref' in o) return `<${o.Ref}>`;
      if ('Fn::Join' in o) return (o['Fn::Join'][1] as unknown[]).map(render).join(o['Fn::Join'][0]);
    }
    return JSON.stringify(v);
  };
  return render(stack.resolve(value));
}

