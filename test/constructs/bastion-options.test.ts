/** The pipeline's bastion props (PipelineBastionOptions) reach the bastion. */
import { Template } from 'aws-cdk-lib/assertions';
import { buildPipeline } from './processors/helpers';
import { BastionPlacement } from '../../src';

const instance = (template: Template): any => Object.values(template.findResources('AWS::EC2::Instance'))[0];

test('by default the bastion is private, Session Manager only', () => {
  const { template } = buildPipeline();
  const props = instance(template).Properties;
  expect(props.NetworkInterfaces?.[0]?.AssociatePublicIpAddress ?? props.AssociatePublicIpAddress ?? false).toBe(false);
  const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup')) as any[];
  expect(groups.filter((g) => /bastion/i.test(g.Properties.GroupDescription)).every((g) => g.Properties.SecurityGroupIngress === undefined)).toBe(true);
});

test('bastionPlacement PUBLIC with bastionSshCidr: a public subnet, a public IP, SSH from that CIDR only; the pipeline lists its acknowledgments', () => {
  const { template, pipeline } = buildPipeline({ singleVpc: true, bastionPlacement: BastionPlacement.PUBLIC, bastionSshCidr: '203.0.113.0/24' });
  const props = instance(template).Properties;
  expect(props.NetworkInterfaces[0].AssociatePublicIpAddress).toBe(true);
  const ingress = (Object.values(template.findResources('AWS::EC2::SecurityGroup')) as any[])
    .flatMap((g) => g.Properties.SecurityGroupIngress ?? [])
    .filter((r: any) => r.FromPort === 22);
  expect(ingress).toEqual([expect.objectContaining({ CidrIp: '203.0.113.0/24', FromPort: 22, ToPort: 22, IpProtocol: 'tcp' })]);
  expect(pipeline.nagAcknowledgments.map((a) => a.id)).toEqual(expect.arrayContaining(['AwsSolutions-EC29']));
});

test.each(['0.0.0.0/0', '::/0'])('bastionSshCidr %s is refused', (cidr) => {
  expect(() => buildPipeline({ singleVpc: true, bastionPlacement: BastionPlacement.PUBLIC, bastionSshCidr: cidr })).toThrow(/0\.0\.0\.0\/0|::\/0|\/0/);
});

test('a public bastion with two peered VPCs is refused: it would have no route to the database', () => {
  expect(() => buildPipeline({ bastionPlacement: BastionPlacement.PUBLIC, bastionSshCidr: '203.0.113.0/24' }))
    .toThrow('bastionPlacement: BastionPlacement.PUBLIC needs singleVpc: true');
});

test('bastion props with bastion: false are refused, naming them', () => {
  expect(() => buildPipeline({ bastion: false, bastionPlacement: BastionPlacement.PUBLIC, bastionSshCidr: '203.0.113.0/24' }))
    .toThrow('bastionPlacement, bastionSshCidr are set but bastion is false: remove one of them');
});
