import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { CdkPipeline, KafkaAuth, KafkaAuthMechanism, KafkaCluster, Ledger, MskProvisionedCluster, Sink, Trigger } from 'cdk-data-pipeline';
import { addBatchOutputs, ExampleStackProps, notificationEmails, spotBatchProcessor } from '../shared';

/** Props of the example stack. */
export type BatchKafkaStackProps = ExampleStackProps;

/** The topic the rows go to. */
export const ORDERS_TOPIC = 'orders';
/** The consumer group the README's read_committed consumer on the bastion uses. */
export const READERS_GROUP = 'orders-readers';

/**
 * What the original design asks for: AWS Batch jobs on EC2 Spot stream
 * every row of each uploaded CSV, in file order, to a Kafka topic on Amazon
 * MSK (IAM access control), checkpointing every 10,000 rows, with the file
 * ledger in DynamoDB and no relational database. Beyond that design, each
 * chunk of rows is a Kafka transaction with its checkpoint, so a
 * `read_committed` consumer sees each row exactly once across Spot reclaims
 * and retries.
 */
export class BatchKafkaStack extends Stack {
  public readonly pipeline: CdkPipeline;
  /** The MSK cluster the pipeline created. */
  public readonly kafkaCluster: MskProvisionedCluster;

  constructor(scope: Construct, id: string, props: BatchKafkaStackProps = {}) {
    super(scope, id, props);
    const cluster = KafkaCluster.mskProvisioned();
    this.pipeline = new CdkPipeline(this, 'Pipeline', {
      // As in the original design: no relational database; file claims and checkpoints in DynamoDB.
      ledger: Ledger.dynamoDb(),
      // A bastion only to run the README's consumer against the brokers (Session Manager, no inbound rule).
      bastion: true,
      processor: spotBatchProcessor(),
      triggers: [Trigger.onUpload({ prefix: 'incoming/' })],
      sinks: [Sink.kafka({
        topic: ORDERS_TOPIC,
        cluster,
        auth: KafkaAuth.iam(),
        // The original design's interval: one Kafka transaction (and checkpoint) per 10,000 rows.
        checkpointEvery: 10_000,
      })],
      notificationEmails: notificationEmails(props),
    });
    this.kafkaCluster = cluster.createdCluster as MskProvisionedCluster;

    // The README reads the topic from the bastion (Session Manager only):
    // its group may reach the brokers' IAM port, its role may read this
    // topic with this group, nothing else.
    const bastion = this.pipeline.bastion!;
    this.kafkaCluster.connections.allowFrom(bastion.connections, ec2.Port.tcp(this.kafkaCluster.iamPort), 'bastion: the README read_committed consumer');
    this.kafkaCluster.grantConsume(bastion.role, ORDERS_TOPIC, READERS_GROUP);

    // What the README's commands need.
    addBatchOutputs(this, this.pipeline);
    new CfnOutput(this, 'KafkaClusterArn', { value: this.kafkaCluster.clusterArn });
    new CfnOutput(this, 'KafkaBootstrapBrokers', { value: this.kafkaCluster.bootstrapBrokers(KafkaAuthMechanism.IAM) });
    new CfnOutput(this, 'KafkaBrokerLogs', { value: this.kafkaCluster.logGroup.logGroupName });
    new CfnOutput(this, 'KafkaSecurityGroup', { value: this.kafkaCluster.securityGroup.securityGroupId });
  }
}
