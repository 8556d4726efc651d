import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CdkPipeline, CdkPipelineProps } from '../../src';

/** A stack holding one pipeline, and its template. */
export function synthPipeline(
  props: CdkPipelineProps = {},
  context: Record<string, unknown> = {},
): { stack: Stack; pipeline: CdkPipeline; template: Template } {
  const app = new App({ context });
  const stack = new Stack(app, 'TestStack', { env: { account: '111111111111', region: 'eu-west-1' } });
  const pipeline = new CdkPipeline(stack, 'Pipeline', props);
  return { stack, pipeline, template: Template.fromStack(stack) };
}

/** The logical ID of the single resource of `type` whose properties match. */
export function logicalIdOf(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const found = Object.keys(template.findResources(type, { Properties: Match.objectLike(props) }));
  if (found.length !== 1) {
    throw new Error(`expected exactly one ${type} matching ${JSON.stringify(props)}, found ${found.length}`);
  }
  return found[0];
}

/** Every policy statement of the policies attached to `roleLogicalId`. */
export function statementsOfRole(template: Template, roleLogicalId: string): any[] {
  const policies = { ...template.findResources('AWS::IAM::Policy'), ...template.findResources('AWS::IAM::ManagedPolicy') };
  return Object.values(policies)
    .filter((p: any) => (p.Properties.Roles ?? []).some((r: any) => r.Ref === roleLogicalId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

/** The environment variables of the pipeline's processor function. */
export function processorEnvironment(template: Template): Record<string, unknown> {
  const id = logicalIdOf(template, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^cdk-data-pipeline processor') });
  return (template.findResources('AWS::Lambda::Function')[id] as any).Properties.Environment.Variables;
}
