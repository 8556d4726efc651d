import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct, IConstruct } from 'constructs';
import { CreateTopicsFunction } from './create-topics-function';
import { TOPIC_ENV, TopicSpec } from './topic-settings';
import { NagAcknowledgment } from '../../nag-acknowledgments';
import { createFunctionRole, setTracing } from '../../processor/function-role';
import { ManagedPolicyRole } from '../../security/managed-policy-role';
import { acknowledgeForPipeline } from '../kafka-acknowledgments';
import { KafkaAuth, KafkaAuthMechanism } from '../kafka-auth';
import { kafkaTopicAdminStatements } from '../kafka-iam';
import { secretReadStatements } from '../kafka-secret-grants';

/** Properties of {@link KafkaTopics}. @internal */
export interface KafkaTopicsProps {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly brokers: string;
  readonly brokerConnections: ec2.Connections;
  readonly ports: number[];
  readonly clusterArn: string;
  readonly auth: KafkaAuth;
  readonly topics: TopicSpec[];
  readonly encryptionKey: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  /** What must exist before the topics are created (the cluster, its ingress rules). */
  readonly executeAfter: IConstruct[];
}

/**
 * Creates a sink's topics at deploy time, on a cluster the construct owns: a
 * small Lambda function in the processing VPC, allowed to reach the brokers
 * on the sink's port and to create these topics only, run by a CDK trigger
 * after the cluster is up (and again when the topics' settings change).
 *
 * @internal
 */
export class KafkaTopics extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.IRole;
  public readonly trigger: triggers.Trigger;

  constructor(scope: Construct, id: string, props: KafkaTopicsProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy,
    });
    const role = createFunctionRole(this, 'Role', 'Kafka sink topic creation (deploy time)', logGroup);
    this.role = role;
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${this.node.path}: deploy-time topic creation; reaches the brokers only (and Secrets Manager for credentials)`,
      allowAllOutbound: false,
    });
    for (const port of props.ports) {
      props.brokerConnections.allowFrom(securityGroup, ec2.Port.tcp(port), `Kafka topic creation of ${this.node.path}`);
    }
    if (props.auth.secret) {
      // The credentials secret, through the Secrets Manager endpoint or NAT.
      securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Secrets Manager (HTTPS)');
    }
    const environment: Record<string, string> = {
      [TOPIC_ENV.BROKERS]: props.brokers,
      [TOPIC_ENV.AUTH]: props.auth.mechanism,
      [TOPIC_ENV.TOPICS]: JSON.stringify(props.topics),
      ...(props.auth.secret ? { [TOPIC_ENV.SECRET_ARN]: props.auth.secret.secretArn } : {}),
      ...(props.auth.caPem ? { [TOPIC_ENV.CA_PEM]: props.auth.caPem } : {}),
    };
    this.function = new CreateTopicsFunction(this, 'Function', {
      description: `cdk-data-pipeline: creates the Kafka topics ${props.topics.map((t) => t.name).join(', ')} at deploy time`,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.minutes(2),
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [securityGroup],
      role,
      logGroup,
      environment,
    });
    setTracing(this.function, role, lambda.Tracing.ACTIVE);
    if (props.auth.mechanism === KafkaAuthMechanism.IAM) {
      kafkaTopicAdminStatements(props.clusterArn, props.topics.map((t) => t.name)).forEach((s) => role.addToPrincipalPolicy(s));
    }
    secretReadStatements(props.auth.secret).forEach((s) => role.addToPrincipalPolicy(s));

    this.trigger = new triggers.Trigger(this, 'Trigger', {
      handler: this.function,
      timeout: Duration.minutes(2),
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      executeOnHandlerChange: true,
      executeAfter: [...props.executeAfter, securityGroup],
    });
    acknowledgeForPipeline(this, this.acknowledgments());
  }

  private acknowledgments(): NagAcknowledgment[] {
    const fn = this.function.node.defaultChild!;
    const policy = (this.role as ManagedPolicyRole).policy!.node.defaultChild!;
    const acks: NagAcknowledgment[] = [{
      construct: policy,
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Two statements of the topic-creation function\'s policy: the EC2 network-interface actions Lambda uses to place the function in the VPC and xray:PutTraceSegments/PutTelemetryRecords (active tracing); neither EC2 nor X-Ray supports resource-level permissions for these actions.',
    }];
    for (const p of ['HIPAA.Security', 'NIST.800.53.R5']) {
      acks.push({ construct: fn, id: `${p}-LambdaConcurrency`, reason: 'The Kafka topic-creation function is invoked once per deployment, synchronously, by its deploy-time trigger; reserving concurrency for it would take account capacity for nothing.' });
    }
    for (const p of ['HIPAA.Security', 'NIST.800.53.R5', 'Serverless']) {
      acks.push({ construct: fn, id: `${p}-LambdaDLQ`, reason: 'The Kafka topic-creation function is invoked synchronously (RequestResponse) by its deploy-time trigger, never asynchronously: a failure fails the deployment, and a function DLQ would receive nothing.' });
    }
    return acks;
  }
}
