import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CdkPipeline, CdkPipelineProps } from '../../../src';

/**
 * A stack with one pipeline; `extend` may add to it (e.g. a scheduled run)
 * before the template is synthesized.
 */
export function buildPipeline(
  props: CdkPipelineProps = {},
  extend: (pipeline: CdkPipeline, stack: Stack) => void = () => undefined,
): { app: App; stack: Stack; pipeline: CdkPipeline; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'TestStack', { env: { account: '111111111111', region: 'eu-west-1' } });
  const pipeline = new CdkPipeline(stack, 'Pipeline', props);
  extend(pipeline, stack);
  return { app, stack, pipeline, template: Template.fromStack(stack) };
}
