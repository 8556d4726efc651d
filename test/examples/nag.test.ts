import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EXAMPLES, ExampleStack } from './registry';
import { DISABLE_ACKNOWLEDGMENTS_CONTEXT } from '../../src/nag-acknowledgments';

/** cdk-nag findings of the example as `RuleId @ construct path`, after acknowledgments. */
function findings(build: (app: App) => ExampleStack, context: Record<string, unknown> = {}): string[] {
  const app = new App({ context });
  build(app);
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`)).sort();
}

describe.each(EXAMPLES)('cdk-nag AwsSolutions on examples/%s', (_name, build) => {
  test('zero unacknowledged findings', () => {
    expect(findings(build)).toEqual([]);
  });

  test('every acknowledgment matches a real finding, and the list is exactly this', () => {
    const raw = findings(build, { [DISABLE_ACKNOWLEDGMENTS_CONTEXT]: true });
    const { pipeline } = build(new App());
    const acknowledged = pipeline.nagAcknowledgments.map((a) => a.id);
    // Each acknowledgment is used by at least one raw finding under its construct...
    for (const a of pipeline.nagAcknowledgments) {
      const path = a.construct.node.path;
      expect(raw.filter((f) => f.startsWith(`${a.id} @ ${path}`))).not.toHaveLength(0);
      expect(a.reason.length).toBeGreaterThan(60);
    }
    // ...and each raw finding is covered by exactly the list below (reviewed by hand).
    expect([...new Set(raw.map((f) => f.split(' @ ')[0]))].sort()).toEqual([...new Set(acknowledged)].sort());
    expect(acknowledged.map((id) => id.replace(/<[A-Za-z0-9]+(Bucket)[A-F0-9]{8}\.Arn>/, '<$1>')).sort()).toEqual([
      'AwsSolutions-EC29',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<Bucket>/*]',
      'AwsSolutions-IAM5[Resource::<Bucket>/backup/*]',
      'AwsSolutions-IAM5[Resource::<Bucket>/rejects/*]',
      'AwsSolutions-IAM5[Resource::<Bucket>/results/*]',
      'AwsSolutions-RDS11',
    ]);
  });
});
