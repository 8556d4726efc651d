import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { BadRowPolicy, BatchComputeType, BoundBatchProcessor, BoundFargateProcessor, CdkPipeline, ColumnType, Processor, Sink, TableColumn } from 'cdk-data-pipeline';

/** What every example stack takes. */
export interface ExampleStackProps extends StackProps {
  /** Where success, failure and alarm e-mails go (none when omitted). */
  readonly email?: string;
}

/** The e-mail subscriptions of an example: its `email`, if any. */
export function notificationEmails(props: ExampleStackProps): string[] | undefined {
  return props.email ? [props.email] : undefined;
}

/** The `orders` table the examples load: an order's id, customer, time and amount, then `more` columns. */
export function ordersSink(badRows: BadRowPolicy, more: TableColumn[] = []): Sink {
  return Sink.postgresTable({
    table: 'orders',
    columns: [
      { name: 'order_id', dataType: ColumnType.BIGINT, nullable: false },
      { name: 'customer', dataType: ColumnType.TEXT, nullable: false },
      { name: 'placed_at', dataType: ColumnType.TIMESTAMPTZ, nullable: false },
      { name: 'amount', dataType: ColumnType.numeric(12, 2), nullable: false },
      ...more,
    ],
    badRows,
  });
}

/**
 * Stack outputs the examples' README commands read: the buckets, the
 * processor's log group, the bastion and the database, and `own` (the
 * processor's names for manual runs).
 */
export function addExampleOutputs(stack: Stack, pipeline: CdkPipeline, logGroupName: string, own: Record<string, string>): void {
  const outputs: Record<string, string> = {
    InputBucket: pipeline.inputBucket.bucketName,
    OutputBucket: pipeline.outputBucket.bucketName,
    ...own,
    LogGroup: logGroupName,
    ...(pipeline.bastion ? { BastionId: pipeline.bastion.instance.instanceId } : {}),
    ...(pipeline.database ? {
      DatabaseHost: pipeline.database.instance.dbInstanceEndpointAddress,
      DatabaseSecret: pipeline.database.secret.secretArn,
    } : {}),
    ...(pipeline.ledgerTable ? { LedgerTable: pipeline.ledgerTable.tableName } : {}),
  };
  Object.entries(outputs).forEach(([name, value]) => new CfnOutput(stack, name, { value }));
}

/**
 * The Batch processor of the Batch examples: EC2 Spot, Batch's own
 * instance choice, sized like the original design's t3.medium (2 vCPUs, 4 GiB) less
 * what the OS and the ECS agent keep, so a job fits a 4 GiB instance.
 */
export function spotBatchProcessor(): Processor {
  return Processor.batch({ spot: true, computeType: BatchComputeType.EC2, vcpus: 2, memoryLimitMiB: 3584, maxvCpus: 16, retryAttempts: 3 });
}

/** The outputs of a Batch example: the common ones and the job queue and definition (the README's manual runs). */
export function addBatchOutputs(stack: Stack, pipeline: CdkPipeline): void {
  const processor = pipeline.processor as BoundBatchProcessor;
  addExampleOutputs(stack, pipeline, processor.logGroup.logGroupName, {
    JobQueue: processor.jobQueue.jobQueueArn,
    JobDefinition: processor.jobDefinition.jobDefinitionArn,
  });
}

/** The outputs of a Fargate example: the common ones and what `aws ecs run-task` needs. */
export function addFargateOutputs(stack: Stack, pipeline: CdkPipeline): void {
  const processor = pipeline.processor as BoundFargateProcessor;
  addExampleOutputs(stack, pipeline, processor.logGroup.logGroupName, {
    Cluster: processor.cluster.clusterName,
    TaskDefinition: processor.taskDefinition.taskDefinitionArn,
    Subnets: pipeline.processingVpc.selectSubnets(pipeline.network.processingSubnets).subnetIds.join(','),
    SecurityGroup: processor.securityGroup.securityGroupId,
  });
}
