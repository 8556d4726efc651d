import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { BatchComputeType, CdkPipeline, Processor } from '../../../src';
import { logicalIdOf, statementsOfRole } from '../helpers';
import { buildPipeline } from './helpers';

/** Issue 8: one suite over the four processors for the contract they share (as aws-batch's tests do). */

/** The environment the processor's code runs with, as name -> value. */
function environmentOf(template: Template, kind: string): Record<string, unknown> {
  if (kind === 'fargate') {
    const td = Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0] as any;
    return Object.fromEntries(td.Properties.ContainerDefinitions[0].Environment.map((e: any) => [e.Name, e.Value]));
  }
  if (kind === 'batch') {
    const jd = Object.values(template.findResources('AWS::Batch::JobDefinition'))[0] as any;
    return Object.fromEntries(jd.Properties.ContainerProperties.Environment.map((e: any) => [e.Name, e.Value]));
  }
  const fn = Object.values(template.findResources('AWS::Lambda::Function'))
    .find((f: any) => /^cdk-data-pipeline processor/.test(f.Properties.Description)) as any;
  return fn.Properties.Environment.Variables;
}

/** The subnets the processor's code runs in, and whether it may get a public IP. */
function placementOf(template: Template, kind: string): { subnets: unknown; publicIp: boolean } {
  if (kind === 'fargate') {
    const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r: any) => r.Properties.Targets[0].EcsParameters) as any;
    const vpc = rule.Properties.Targets[0].EcsParameters.NetworkConfiguration.AwsVpcConfiguration;
    return { subnets: vpc.Subnets, publicIp: vpc.AssignPublicIp !== 'DISABLED' };
  }
  if (kind === 'batch') {
    const ce = Object.values(template.findResources('AWS::Batch::ComputeEnvironment'))[0] as any;
    const jd = Object.values(template.findResources('AWS::Batch::JobDefinition'))[0] as any;
    return { subnets: ce.Properties.ComputeResources.Subnets, publicIp: jd.Properties.ContainerProperties.NetworkConfiguration?.AssignPublicIp !== 'DISABLED' };
  }
  const fn = Object.values(template.findResources('AWS::Lambda::Function'))
    .find((f: any) => /^cdk-data-pipeline processor/.test(f.Properties.Description)) as any;
  // A Lambda function in a VPC never has a public IP.
  return { subnets: fn.Properties.VpcConfig.SubnetIds, publicIp: false };
}

/** The statements that grant data access (S3, Secrets Manager, SNS, KMS), sorted. */
function dataStatements(template: Template, pipeline: CdkPipeline): string[] {
  const roleId = Stack.of(pipeline).getLogicalId(pipeline.processor.role.node.defaultChild as any);
  return statementsOfRole(template, roleId)
    .filter((s: any) => [s.Action].flat().every((a: string) => /^(s3|secretsmanager|sns|kms):/.test(a)))
    .map((s) => JSON.stringify(s)).sort();
}

const PROCESSORS: Array<[string, () => Processor]> = [
  ['lambda', () => Processor.lambdaZip()],
  ['lambdaContainer', () => Processor.lambdaContainer()],
  ['fargate', () => Processor.fargate()],
  ['batch', () => Processor.batch()],
];

const lambdaBaseline = buildPipeline({ bastion: false });

describe.each(PROCESSORS)('the shared contract: Processor.%s()', (kind, processor) => {
  const { pipeline, template } = buildPipeline({ bastion: false, processor: processor() });
  const shape = kind.startsWith('lambda') ? 'lambda' : kind;

  test('exactly the zip Lambda\'s data grants', () => {
    const expected = dataStatements(lambdaBaseline.template, lambdaBaseline.pipeline);
    expect(expected.length).toBeGreaterThanOrEqual(7);
    expect(dataStatements(template, pipeline)).toEqual(expected);
  });

  test('the same runtime environment keys, with the sink configuration as a file (zip Lambda) or as PIPELINE_SINKS', () => {
    const baseline = Object.keys(environmentOf(lambdaBaseline.template, 'lambda')).filter((k) => k.startsWith('PIPELINE_') && k !== 'PIPELINE_SINKS_FILE');
    const env = environmentOf(template, shape);
    expect(Object.keys(env)).toEqual(expect.arrayContaining(baseline));
    if (kind === 'lambda') expect(env.PIPELINE_SINKS_FILE).toBe('/opt/cdk-data-pipeline/sinks.json');
    else expect(env.PIPELINE_SINKS).toBe('[]');
  });

  test('runs in the processing subnets without a public IP, behind a security group with only HTTPS out', () => {
    const { subnets, publicIp } = placementOf(template, shape);
    expect(subnets).toEqual(Stack.of(pipeline).resolve(pipeline.processingVpc.selectSubnets(pipeline.network.processingSubnets).subnetIds));
    expect(publicIp).toBe(false);
    const sg = (template.findResources('AWS::EC2::SecurityGroup')[Stack.of(pipeline).getLogicalId(pipeline.processor.securityGroup.node.defaultChild as any)] as any).Properties;
    expect(sg.SecurityGroupEgress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' })]);
  });

  test('an encrypted, TLS-only dead-letter queue, watched by an alarm', () => {
    const dlq = pipeline.processor.deadLetterQueue!;
    expect(dlq).toBeDefined();
    const id = Stack.of(pipeline).getLogicalId(dlq.node.defaultChild as any);
    expect((template.findResources('AWS::SQS::Queue')[id] as any).Properties.SqsManagedSseEnabled).toBe(true);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: id }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }] });
  });

  test('the alarms every processor has: errors, dead letters, failed files, no file succeeded', () => {
    const descriptions = pipeline.alarms.map((a) => a.node.id);
    expect(descriptions).toEqual(expect.arrayContaining(['ProcessorErrors', 'DeadLetters', 'FilesFailed', 'NoFileSucceeded']));
    expect(pipeline.processor.metricErrors()).toBeDefined();
    expect(pipeline.processor.metricDuration()).toBeDefined();
  });

  test('a migration function for the deploy-time migration, in the processing VPC with the processor\'s security group', () => {
    const fn = pipeline.processor.migrationFunction!;
    expect(fn).toBeDefined();
    const props = (template.findResources('AWS::Lambda::Function')[Stack.of(pipeline).getLogicalId(fn.node.defaultChild as any)] as any).Properties;
    expect(props.VpcConfig.SecurityGroupIds).toEqual([Stack.of(pipeline).resolve(pipeline.processor.securityGroup.securityGroupId)]);
    template.hasResourceProperties('Custom::Trigger', { HandlerArn: Match.anyValue() });
  });

  test('with natGateways: 0, the interface endpoints it lists (and the defaults) exist in the processing subnets', () => {
    const isolated = buildPipeline({ bastion: false, natGateways: 0, processor: processor() });
    const created = Object.values(isolated.template.findResources('AWS::EC2::VPCEndpoint'))
      .map((e: any) => JSON.stringify(isolated.stack.resolve(e.Properties.ServiceName)));
    const wanted = [...isolated.pipeline.processor.interfaceEndpoints.map((e) => e.shortName), 'secretsmanager', 'sns', 'logs', 's3'];
    for (const name of wanted) expect(created.some((c) => c.includes(`.${name}"`) || c.endsWith(`.${name}`))).toBe(true);
  });

  test('cdk-nag stays clean: see nag-variants.test.ts, which runs the five packs on a pipeline with each processor', () => {
    expect(logicalIdOf(template, 'AWS::SNS::Topic')).toBeDefined();
  });
});

test('Batch on EC2 Spot uses SPOT_PRICE_CAPACITY_OPTIMIZED and the instance classes given', () => {
  const { template } = buildPipeline({
    bastion: false,
    processor: Processor.batch({ computeType: BatchComputeType.EC2, ec2InstanceClasses: [ec2.InstanceClass.C6I] }),
  });
  template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
    ComputeResources: Match.objectLike({ Type: 'SPOT', AllocationStrategy: 'SPOT_PRICE_CAPACITY_OPTIMIZED', InstanceTypes: ['c6i'] }),
  });
});
