import { Annotations, App } from 'aws-cdk-lib';
import { ContainerLambdaBastionStack } from './stack';
import { synthWithNag } from '../nag';

const app = new App();
const email: string | undefined = app.node.tryGetContext('email');
const sshCidr: string | undefined = app.node.tryGetContext('sshCidr');
const stack = new ContainerLambdaBastionStack(app, 'ContainerLambdaBastionPipeline', {
  email,
  sshCidr,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
if (!email) {
  Annotations.of(stack).addWarningV2('example:no-email', 'No notification e-mail: pass one with -c email=you@example.com');
}
if (!sshCidr) {
  Annotations.of(stack).addWarningV2('example:no-ssh-cidr', 'SSH to the bastion is allowed from 203.0.113.0/24, a documentation range: pass the CIDR of the network you connect from with -c sshCidr=<cidr>');
}
synthWithNag(app);
