import { Duration, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BadRowPolicy, BastionPlacement, BoundQueueLambdaProcessor, CdkPipeline, ColumnType, Processor, Trigger } from 'cdk-data-pipeline';
import { addExampleOutputs, ExampleStackProps, notificationEmails, ordersSink } from '../shared';

export interface ContainerLambdaBastionStackProps extends ExampleStackProps {
  /**
   * The network SSH to the bastion is allowed from.
   *
   * @default '203.0.113.0/24' - a documentation range that reaches nothing: pass yours
   */
  readonly sshCidr?: string;
}

/**
 * S3 -> a container-image Lambda -> rows in RDS PostgreSQL, in one VPC
 * (public, private and isolated subnets), with a bastion in a public subnet
 * (SSH from one CIDR only) that has the PostgreSQL client and may reach the
 * database.
 */
export class ContainerLambdaBastionStack extends Stack {
  public readonly pipeline: CdkPipeline;

  constructor(scope: Construct, id: string, props: ContainerLambdaBastionStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new CdkPipeline(this, 'Pipeline', {
      // One VPC; the function in its private subnets, the database in its isolated ones.
      singleVpc: true,
      processor: Processor.lambdaContainer({ memorySize: 2048, timeout: Duration.minutes(15) }),
      triggers: [Trigger.onUpload({ prefix: 'incoming/' })],
      sinks: [ordersSink(BadRowPolicy.SKIP_AND_REPORT, [{ name: 'paid', dataType: ColumnType.BOOLEAN }])],
      // The original design's bastion: in a public subnet, SSH from one network only
      // (203.0.113.0/24 is a documentation range: put yours), Session Manager too.
      bastion: true,
      bastionPlacement: BastionPlacement.PUBLIC,
      bastionSshCidr: props.sshCidr ?? '203.0.113.0/24',
      notificationEmails: notificationEmails(props),
    });

    // What the README's manual-run and reprocess commands need.
    const processor = this.pipeline.processor as BoundQueueLambdaProcessor;
    addExampleOutputs(this, this.pipeline, processor.logGroup.logGroupName, {
      Function: processor.function.functionName,
      DeadLetterQueue: processor.deadLetterQueue!.queueArn,
      BastionPublicIp: this.pipeline.bastion!.instance.instancePublicIp,
    });
  }
}
