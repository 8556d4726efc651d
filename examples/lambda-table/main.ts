import { Annotations, App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LambdaTableStack } from './stack';

const app = new App();
const email: string | undefined = app.node.tryGetContext('email');
const stack = new LambdaTableStack(app, 'LambdaTablePipeline', {
  email,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
if (!email) {
  Annotations.of(stack).addWarningV2('example:no-email', 'No notification e-mail: pass one with -c email=you@example.com');
}

// cdk-nag's AwsSolutions pack over the whole app. The pipeline acknowledges
// the findings it cannot fix itself (see `pipeline.nagAcknowledgments`);
// anything else fails the synth.
const report = new AwsSolutionsChecks().validateScope(app);
for (const v of report.violations) {
  const where = v.violatingResources.map((r) => r.constructPath ?? r.resourceLogicalId).join(', ');
  console.error(`[cdk-nag] ${v.ruleName} at ${where}: ${v.description}`);
}
if (report.violations.length > 0) {
  process.exitCode = 1;
  throw new Error(`${report.violations.length} unacknowledged cdk-nag finding(s); see above`);
}
app.synth();
