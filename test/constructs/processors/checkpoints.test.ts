/** `checkpointEvery`: what each processor tells the runtime (PIPELINE_CHECKPOINT_EVERY). */
import { Template } from 'aws-cdk-lib/assertions';
import { buildPipeline } from './helpers';
import { Processor } from '../../../src';

function containerEnvironment(template: Template, type: 'AWS::ECS::TaskDefinition' | 'AWS::Batch::JobDefinition'): Record<string, unknown> {
  const [resource] = Object.values(template.findResources(type)) as any[];
  const env = type === 'AWS::ECS::TaskDefinition'
    ? resource.Properties.ContainerDefinitions[0].Environment
    : resource.Properties.ContainerProperties.Environment;
  return Object.fromEntries(env.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
}

function processorFunctionEnvironment(template: Template): Record<string, unknown> {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')) as any[];
  const processor = fns.find((f) => f.Properties.Description?.startsWith('cdk-data-pipeline processor'));
  return processor.Properties.Environment.Variables;
}

test('the container processors checkpoint every 10,000 rows unless told otherwise', () => {
  expect(containerEnvironment(buildPipeline({ processor: Processor.fargate() }).template, 'AWS::ECS::TaskDefinition'))
    .toMatchObject({ PIPELINE_CHECKPOINT_EVERY: '10000' });
  expect(containerEnvironment(buildPipeline({ processor: Processor.fargate({ checkpointEvery: 0 }) }).template, 'AWS::ECS::TaskDefinition'))
    .toMatchObject({ PIPELINE_CHECKPOINT_EVERY: '0' });
  expect(containerEnvironment(buildPipeline({ processor: Processor.batch({ checkpointEvery: 50_000 }) }).template, 'AWS::Batch::JobDefinition'))
    .toMatchObject({ PIPELINE_CHECKPOINT_EVERY: '50000' });
});

test('the Lambda processors keep one transaction per file unless checkpointEvery is set', () => {
  expect(processorFunctionEnvironment(buildPipeline().template)).not.toHaveProperty('PIPELINE_CHECKPOINT_EVERY');
  expect(processorFunctionEnvironment(buildPipeline({ processor: Processor.lambdaZip({ checkpointEvery: 5000 }) }).template))
    .toMatchObject({ PIPELINE_CHECKPOINT_EVERY: '5000' });
  expect(processorFunctionEnvironment(buildPipeline({ processor: Processor.lambdaContainer({ checkpointEvery: 5000 }) }).template))
    .toMatchObject({ PIPELINE_CHECKPOINT_EVERY: '5000' });
});

test.each([-1, 1.5, 200_000_000])('checkpointEvery %p is refused, naming the option and the factory', (bad) => {
  expect(() => Processor.fargate({ checkpointEvery: bad })).toThrow(`Processor.fargate(): checkpointEvery must be a whole number of rows between 0 (one transaction per file) and 100000000 (got ${bad})`);
  expect(() => Processor.lambdaZip({ checkpointEvery: bad })).toThrow(/^Processor\.lambdaZip\(\): checkpointEvery must be/);
  expect(() => Processor.batch({ checkpointEvery: bad })).toThrow(/^Processor\.batch\(\): checkpointEvery must be/);
});
