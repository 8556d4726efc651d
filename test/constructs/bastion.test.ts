import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { BastionPlacement, PipelineBastion, PipelineBastionProps } from '../../src';
import { DISABLE_ACKNOWLEDGMENTS_CONTEXT } from '../../src/nag-acknowledgments';

/** A VPC with public, private-with-egress and isolated subnets, and a bastion in it. */
function bastionStack(props: Omit<PipelineBastionProps, 'vpc'> = {}, vpcProps: ec2.VpcProps = {}, context: Record<string, unknown> = {}) {
  const app = new App({ context });
  const stack = new Stack(app, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { ...(vpcProps.availabilityZones ? {} : { maxAzs: 2 }), natGateways: 1, ...vpcProps });
  const bastion = new PipelineBastion(stack, 'Bastion', { vpc, ...props });
  return { app, stack, vpc, bastion, template: Template.fromStack(stack) };
}

/** The logical IDs of the VPC's subnets of one type (`Public`, `Private`, `Isolated`). */
function subnetIds(template: Template, type: string): string[] {
  return Object.entries(template.findResources('AWS::EC2::Subnet'))
    .filter(([, r]: [string, any]) => r.Properties.Tags.some((t: any) => t.Key === 'aws-cdk:subnet-type' && t.Value === type))
    .map(([id]) => id);
}

function instanceProps(template: Template): any {
  return Object.values(template.findResources('AWS::EC2::Instance'))[0].Properties;
}

function bastionGroup(template: Template): any {
  const groups = template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('^Pipeline bastion') } });
  expect(Object.keys(groups)).toHaveLength(1);
  return Object.values(groups)[0].Properties;
}

const PUBLIC_SSH = { placement: BastionPlacement.PUBLIC, sshCidr: '203.0.113.0/24' };

describe('default placement: Session Manager only', () => {
  test('private subnet, no public IP, no key pair, no inbound rule', () => {
    const { template } = bastionStack();
    const props = instanceProps(template);
    expect(subnetIds(template, 'Private')).toContain(props.SubnetId.Ref);
    expect(props.NetworkInterfaces).toBeUndefined();
    expect(props.KeyName).toBeUndefined();
    const group = bastionGroup(template);
    expect(group.SecurityGroupIngress).toBeUndefined();
    expect(template.findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
  });

  test('no private subnets with egress: isolated subnets', () => {
    const { template } = bastionStack({}, {
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    expect(subnetIds(template, 'Isolated')).toContain(instanceProps(template).SubnetId.Ref);
  });

  test('acknowledges only its Session Manager actions on * and the missing termination protection', () => {
    expect(bastionStack().bastion.nagAcknowledgments.map((a) => `${a.id} @ ${a.construct.node.path}`)).toEqual([
      'AwsSolutions-IAM5[Resource::*] @ S/Bastion/Role/Policy/Resource',
      'AwsSolutions-EC29 @ S/Bastion/Instance/Resource',
    ]);
  });
});

describe('placement: BastionPlacement.PUBLIC with sshCidr', () => {
  test('runs in a public subnet with a public IP', () => {
    const { template } = bastionStack(PUBLIC_SSH);
    const props = instanceProps(template);
    expect(props.SubnetId).toBeUndefined();
    expect(props.NetworkInterfaces).toHaveLength(1);
    expect(props.NetworkInterfaces[0].AssociatePublicIpAddress).toBe(true);
    expect(subnetIds(template, 'Public')).toContain(props.NetworkInterfaces[0].SubnetId.Ref);
  });

  test('admits TCP 22 from the CIDR and nothing else; egress stays HTTPS only', () => {
    const { template } = bastionStack(PUBLIC_SSH);
    const group = bastionGroup(template);
    expect(group.SecurityGroupIngress).toEqual([
      { CidrIp: '203.0.113.0/24', Description: 'SSH from 203.0.113.0/24 only', FromPort: 22, IpProtocol: 'tcp', ToPort: 22 },
    ]);
    expect(group.SecurityGroupEgress).toEqual([
      { CidrIp: '0.0.0.0/0', Description: 'HTTPS to Systems Manager and package repositories', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 },
    ]);
    expect(template.findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
  });

  test('keeps IMDSv2, the encrypted volume and the Session Manager role', () => {
    const { template } = bastionStack(PUBLIC_SSH);
    const props = instanceProps(template);
    expect(props.MetadataOptions).toEqual({ HttpTokens: 'required', HttpEndpoint: 'enabled' });
    expect(props.BlockDeviceMappings[0].Ebs.Encrypted).toBe(true);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Sid: 'SessionManager' })] },
    });
  });

  test('an IPv6 CIDR becomes a CidrIpv6 rule', () => {
    const { template } = bastionStack({ placement: BastionPlacement.PUBLIC, sshCidr: '2001:db8::/48' });
    expect(bastionGroup(template).SecurityGroupIngress).toEqual([
      { CidrIpv6: '2001:db8::/48', Description: 'SSH from 2001:db8::/48 only', FromPort: 22, IpProtocol: 'tcp', ToPort: 22 },
    ]);
  });

  test('a key pair is used when given; none by default (EC2 Instance Connect)', () => {
    expect(instanceProps(bastionStack(PUBLIC_SSH).template).KeyName).toBeUndefined();
    const app = new App();
    const stack = new Stack(app, 'S');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    new PipelineBastion(stack, 'Bastion', { vpc, ...PUBLIC_SSH, keyPair: ec2.KeyPair.fromKeyPairName(stack, 'Key', 'ops-key') });
    expect(instanceProps(Template.fromStack(stack)).KeyName).toBe('ops-key');
  });

  test('vpcSubnets may narrow the public subnets', () => {
    const { template } = bastionStack({ ...PUBLIC_SSH, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC, availabilityZones: ['eu-west-1b'] } },
      { availabilityZones: ['eu-west-1a', 'eu-west-1b'] });
    expect(instanceProps(template).NetworkInterfaces[0].SubnetId.Ref).toMatch(/PublicSubnet2/);
  });

  test.each([
    ['HIPAA Security', HIPAASecurityChecks], ['NIST 800-53 R5', NIST80053R5Checks], ['PCI DSS 3.2.1', PCIDSS321Checks],
    ['AwsSolutions', AwsSolutionsChecks], ['Serverless', ServerlessChecks],
  ])('%s: the public IP is the only new finding; with the acknowledgments, no finding on the bastion', (_name, Pack) => {
    const findings = (props: Omit<PipelineBastionProps, 'vpc'>, context: Record<string, unknown> = {}) => {
      const { app } = bastionStack(props, {}, context);
      return new Pack().validateScope(app).violations
        .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`))
        .filter((f) => f.includes('/Bastion/'));
    };
    const raw = findings(PUBLIC_SSH, { [DISABLE_ACKNOWLEDGMENTS_CONTEXT]: true });
    const baseline = findings({}, { [DISABLE_ACKNOWLEDGMENTS_CONTEXT]: true });
    // The packs that report the public IP report it once, on the instance, and (the subnet being in the
    // network interface) that the instance is not in a VPC; nothing else is new.
    expect(raw.filter((f) => !baseline.includes(f)).map((f) => f.replace(/^[^-]*-/, ''))).toEqual(
      Pack === AwsSolutionsChecks || Pack === ServerlessChecks ? [] : [
        'EC2InstanceNoPublicIp @ S/Bastion/Instance/Resource',
        'EC2InstancesInVPC @ S/Bastion/Instance/Resource',
      ]);
    // Every acknowledgment of this pack matches a raw finding, with a reason; the public IP's names the CIDR.
    const acks = bastionStack(PUBLIC_SSH).bastion.nagAcknowledgments.filter((a) => raw.some((f) => f.startsWith(`${a.id.split('-')[0]}-`)));
    for (const a of acks) {
      expect(raw.some((f) => f.startsWith(`${a.id} @ ${a.construct.node.path}`))).toBe(true);
      expect(a.reason.length).toBeGreaterThan(60);
    }
    for (const a of acks.filter((x) => x.id.endsWith('-EC2InstanceNoPublicIp'))) expect(a.reason).toMatch(/SSH from 203\.0\.113\.0\/24 only/);
    // A bastion used on its own has no finding left, in either placement.
    expect(findings(PUBLIC_SSH)).toEqual([]);
    expect(findings({})).toEqual([]);
  });
});

describe('refusals', () => {
  test.each(['0.0.0.0/0', '::/0', '10.0.0.0/0', '2001:db8::/0'])('sshCidr %s (the whole Internet) is refused, naming the option', (cidr) => {
    expect(() => bastionStack({ placement: BastionPlacement.PUBLIC, sshCidr: cidr }))
      .toThrow(new RegExp(`\`sshCidr\` \\(CdkPipeline: \`bastionSshCidr\`\\) '${cidr.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' would open SSH to the whole Internet`));
    // Also with the private placement: SSH from the Internet is never opened.
    expect(() => bastionStack({ sshCidr: cidr })).toThrow(/would open SSH to the whole Internet/);
  });

  test.each(['203.0.113.0', '203.0.113.0/33', '300.0.113.0/24', 'office', '2001:db8::/129', ' 203.0.113.0/24'])('sshCidr %j is not a CIDR', (cidr) => {
    expect(() => bastionStack({ placement: BastionPlacement.PUBLIC, sshCidr: cidr })).toThrow(/`sshCidr`.* must be an IPv4 or IPv6 CIDR/);
  });

  test('a CIDR known only at deploy time is refused (it could be 0.0.0.0/0)', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cidr = new CfnParameter(stack, 'Cidr').valueAsString;
    expect(() => new PipelineBastion(stack, 'Bastion', { vpc, placement: BastionPlacement.PUBLIC, sshCidr: cidr }))
      .toThrow(/`sshCidr`.* must be a literal CIDR/);
  });

  test('public placement without sshCidr', () => {
    expect(() => bastionStack({ placement: BastionPlacement.PUBLIC })).toThrow(/BastionPlacement.PUBLIC` needs `sshCidr`/);
  });

  test('public placement in a VPC without public subnets', () => {
    expect(() => bastionStack(PUBLIC_SSH, {
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    })).toThrow(/needs a VPC with public subnets/);
  });

  test('public placement with vpcSubnets that select private subnets', () => {
    expect(() => bastionStack({ ...PUBLIC_SSH, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }))
      .toThrow(/`vpcSubnets` must select public subnets only/);
  });

  test('a key pair without sshCidr', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    expect(() => new PipelineBastion(stack, 'Bastion', { vpc, keyPair: ec2.KeyPair.fromKeyPairName(stack, 'Key', 'ops-key') }))
      .toThrow(/`keyPair`.* is only used for SSH logins/);
  });
});
