import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BadRowPolicy, BastionPlacement, BoundQueueLambdaProcessor, CdkPipeline, ColumnType, Processor, Sink, Trigger } from '../../src';

export interface ContainerLambdaBastionStackProps extends StackProps {
  /** Where success, failure and alarm e-mails go (none when omitted). */
  readonly email?: string;
  /**
   * The network SSH to the bastion is allowed from.
   *
   * @default '203.0.113.0/24' - a documentation range that reaches nothing: pass yours
   */
  readonly sshCidr?: string;
}

/**
 * Seed 001: S3 -> a container-image Lambda -> rows in RDS PostgreSQL, in
 * one VPC (public, private and isolated subnets), with a bastion in a public
 * subnet (SSH from one CIDR only) that has the PostgreSQL client and may
 * reach the database.
 */
export class ContainerLambdaBastionStack extends Stack {
  public readonly pipeline: CdkPipeline;

  constructor(scope: Construct, id: string, props: ContainerLambdaBastionStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new CdkPipeline(this, 'Pipeline', {
      // Seed 001: one VPC; the function in its private subnets, the database in its isolated ones.
      singleVpc: true,
      processor: Processor.lambdaContainer({ memorySize: 2048, timeout: Duration.minutes(15) }),
      triggers: [Trigger.onUpload({ prefix: 'incoming/' })],
      sinks: [Sink.postgresTable({
        table: 'orders',
        columns: [
          { name: 'order_id', type: ColumnType.BIGINT, nullable: false },
          { name: 'customer', type: ColumnType.TEXT, nullable: false },
          { name: 'placed_at', type: ColumnType.TIMESTAMPTZ, nullable: false },
          { name: 'amount', type: ColumnType.numeric(12, 2), nullable: false },
          { name: 'paid', type: ColumnType.BOOLEAN },
        ],
        badRows: BadRowPolicy.SKIP_AND_REPORT,
      })],
      // Seed 001's bastion: in a public subnet, SSH from one network only
      // (203.0.113.0/24 is a documentation range: put yours), Session Manager too.
      bastion: true,
      bastionPlacement: BastionPlacement.PUBLIC,
      bastionSshCidr: props.sshCidr ?? '203.0.113.0/24',
      notificationEmails: props.email ? [props.email] : undefined,
    });

    // What the README's manual-run and reprocess commands need.
    const processor = this.pipeline.processor as BoundQueueLambdaProcessor;
    const outputs: Record<string, string> = {
      InputBucket: this.pipeline.inputBucket.bucketName,
      OutputBucket: this.pipeline.outputBucket.bucketName,
      Function: processor.function.functionName,
      LogGroup: processor.logGroup.logGroupName,
      DeadLetterQueue: processor.deadLetterQueue!.queueArn,
      BastionId: this.pipeline.bastion!.instance.instanceId,
      BastionPublicIp: this.pipeline.bastion!.instance.instancePublicIp,
      DatabaseHost: this.pipeline.database.instance.dbInstanceEndpointAddress,
      DatabaseSecret: this.pipeline.database.secret.secretArn,
    };
    Object.entries(outputs).forEach(([name, value]) => new CfnOutput(this, name, { value }));
  }
}
