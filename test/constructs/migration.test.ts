import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { synthPipeline } from './helpers';
import { BoundLambdaProcessor, CdkPipeline, IBoundProcessor, Processor, ProcessorBindContext } from '../../src';

/** Issue 7, bug 11: the deploy-time migration runs or the synth says why not; it is never skipped silently. */

/** A processor whose bound form offers no migration function (as a container processor might). */
class WithoutMigration extends Processor {
  public readonly interfaceEndpoints: ec2.InterfaceVpcEndpointAwsService[] = [];
  public bind(scope: Construct, context: ProcessorBindContext): IBoundProcessor {
    const inner = Processor.lambdaZip().bind(scope, context) as BoundLambdaProcessor;
    return {
      securityGroup: inner.securityGroup,
      role: inner.role,
      grantPrincipal: inner.grantPrincipal,
      connections: inner.connections,
      deadLetterQueue: inner.deadLetterQueue,
      queue: inner.queue,
      addUploadSource: (bucket, filter) => inner.addUploadSource(bucket, filter),
      metricErrors: () => inner.metricErrors(),
      metricDuration: () => inner.metricDuration(),
      addScheduledRun: (s, id, o) => inner.addScheduledRun(s, id, o),
      addMonitoring: (m) => inner.addMonitoring(m),
      interfaceEndpoints: inner.interfaceEndpoints,
    };
  }
}

function build(migrateOnDeploy?: boolean): Template {
  const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
  new CdkPipeline(stack, 'P', { processor: new WithoutMigration(), migrateOnDeploy, bastion: false });
  return Template.fromStack(stack);
}

test('migrateOnDeploy (default true) with a processor that has no migrationFunction fails the synth with what to change', () => {
  expect(() => build()).toThrow('migrateOnDeploy is true but the processor provides no migrationFunction to run at deploy time: '
    + 'set migrateOnDeploy: false (the tables are then created when the first file arrives), or use a processor that provides one');
  expect(() => build(true)).toThrow(/^migrateOnDeploy is true but the processor provides no migrationFunction/);
});

test('migrateOnDeploy: false with such a processor synthesizes without a trigger', () => {
  build(false).resourceCountIs('Custom::Trigger', 0);
});

test('Processor.lambdaZip(): the migration runs the processor function itself', () => {
  const { pipeline, template, stack } = synthPipeline();
  expect(pipeline.processor.migrationFunction).toBe((pipeline.processor as BoundLambdaProcessor).function);
  const triggers = Object.values(template.findResources('Custom::Trigger')) as any[];
  expect(triggers).toHaveLength(1);
  expect(triggers[0].Properties.HandlerArn).toEqual(stack.resolve(pipeline.processor.migrationFunction!.currentVersion.functionArn));
});

test('the type says what works: an imported IFunction is not a migration function', () => {
  const stack = new Stack();
  const imported: lambda.IFunction = lambda.Function.fromFunctionArn(stack, 'F', 'arn:aws:lambda:eu-west-1:111111111111:function:f');
  // @ts-expect-error the deploy-time trigger needs a lambda.Function (it runs its current version)
  const bound: Pick<IBoundProcessor, 'migrationFunction'> = { migrationFunction: imported };
  expect(bound.migrationFunction).toBe(imported);
});
