import { Annotations, App } from 'aws-cdk-lib';
import { ScheduledReportsStack } from './stack';
import { synthWithNag } from '../nag';

const app = new App();
const email: string | undefined = app.node.tryGetContext('email');
const stack = new ScheduledReportsStack(app, 'ScheduledReportsPipeline', {
  email,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
if (!email) {
  Annotations.of(stack).addWarningV2('example:no-email', 'No notification e-mail: pass one with -c email=you@example.com');
}
synthWithNag(app);
