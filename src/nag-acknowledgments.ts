import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/**
 * One cdk-nag finding the pipeline cannot fix, with the reason. This list is
 * the only place the library acknowledges findings; the test suite checks
 * that each entry matches a real finding and that nothing else is reported.
 */
export interface NagAcknowledgment {
  /** The rule, with the finding in brackets for rules that report several (e.g. `AwsSolutions-IAM5[Resource::*]`). */
  readonly id: string;
  /** Why the finding stays. */
  readonly reason: string;
  /** The construct the acknowledgment is attached to. */
  readonly construct: IConstruct;
}

/** Context key that turns the library's acknowledgments off (used by the tests to list raw findings). */
export const DISABLE_ACKNOWLEDGMENTS_CONTEXT = 'cdk-data-pipeline:disableNagAcknowledgments';

/** What the pipeline passes in to have its findings acknowledged. @internal */
export interface AcknowledgmentTargets {
  readonly databaseInstance?: IConstruct;
  readonly processorRole?: iam.IRole;
  readonly processorObjectArns: string[];
  readonly bastionRole?: iam.IRole;
  readonly bastionInstance?: IConstruct;
}

/**
 * The acknowledgments of one pipeline. Every reason names the resource and
 * why the finding cannot be fixed without losing function.
 *
 * @internal
 */
export function pipelineAcknowledgments(scope: IConstruct, t: AcknowledgmentTargets): NagAcknowledgment[] {
  const stack = Stack.of(scope);
  const list: NagAcknowledgment[] = [];
  const add = (construct: IConstruct | undefined, id: string, reason: string) => {
    if (construct) list.push({ construct, id, reason });
  };

  add(t.databaseInstance, 'AwsSolutions-RDS11',
    'The database keeps PostgreSQL\'s standard port so standard tools work; it sits in isolated subnets and its security group admits only the processor and bastion groups. Set `port` on PipelineDatabase to change it.');

  const processorPolicy = t.processorRole ? defaultPolicyOf(t.processorRole) : undefined;
  add(processorPolicy, 'AwsSolutions-IAM5[Resource::*]',
    'ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DescribeSubnets, DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses: Lambda creates the function\'s VPC interfaces with these, and EC2 supports no resource-level permissions for them.');
  for (const arn of t.processorObjectArns) {
    add(processorPolicy, `AwsSolutions-IAM5[Resource::${nagResourceString(stack, arn)}]`,
      'Object keys are only known when a file arrives: the wildcard is limited to the key part of the one bucket (and prefix) the processor reads or writes.');
  }

  const bastionRole = t.bastionRole ? t.bastionRole.node.defaultChild : undefined;
  add(bastionRole, 'AwsSolutions-IAM5[Resource::*]',
    'Session Manager only: the ssmmessages Create/Open Control/Data Channel actions support no resource-level permissions, and ssm:UpdateInstanceInformation cannot name the instance, which depends on this role.');
  add(t.bastionInstance, 'AwsSolutions-EC29',
    'The bastion holds no state and is recreated by a deploy; termination protection would only make `cdk destroy` fail.');

  // Singleton functions aws-cdk-lib adds to the stack for S3 notifications
  // and log retention: their code and roles belong to aws-cdk-lib.
  for (const child of stack.node.children) {
    if (child.node.id.startsWith('BucketNotificationsHandler') || child.node.id.startsWith('LogRetention')) {
      const role = child.node.tryFindChild('Role') ?? child.node.tryFindChild('ServiceRole');
      add(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        `${child.node.id} is a singleton function of aws-cdk-lib (S3 notification and log-retention custom resources); its role uses AWSLambdaBasicExecutionRole only to write its own logs.`);
      if (child.node.id.startsWith('LogRetention')) {
        add(role?.node.tryFindChild('DefaultPolicy'), 'AwsSolutions-IAM5[Resource::*]',
          'aws-cdk-lib\'s log-retention function sets retention on log groups created later by RDS, whose ARNs it cannot know in advance.');
      }
    }
  }
  return list;
}

/** Attaches acknowledgments, unless the tests turned them off. @internal */
export function applyAcknowledgments(scope: IConstruct, acks: NagAcknowledgment[]): void {
  if (scope.node.tryGetContext(DISABLE_ACKNOWLEDGMENTS_CONTEXT)) return;
  for (const a of acks) {
    if (a.id.split('::').length > 2) {
      // Validations.acknowledge() rejects IDs with more than one '::', which
      // findings naming ARNs (`arn:<AWS::Partition>:...`) have; record them in
      // the same metadata entry acknowledge() writes and cdk-nag reads.
      a.construct.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [a.id]: a.reason });
    } else {
      Validations.of(a.construct).acknowledge({ id: a.id, reason: a.reason });
    }
  }
}

function defaultPolicyOf(role: iam.IRole): IConstruct | undefined {
  return role.node.tryFindChild('DefaultPolicy')?.node.defaultChild;
}

/**
 * Renders an ARN the way cdk-nag names it in a finding:
 * `Fn::GetAtt` -> `<Logical.Attr>`, `Ref` -> `<Logical>`, joins concatenated.
 */
export function nagResourceString(stack: Stack, value: string): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, any>;
      if ('Fn::GetAtt' in o) return `<${o['Fn::GetAtt'][0]}.${o['Fn::GetAtt'][1]}>`;
      if ('Ref' in o) return `<${o.Ref}>`;
      if ('Fn::Join' in o) return (o['Fn::Join'][1] as unknown[]).map(render).join(o['Fn::Join'][0]);
    }
    return JSON.stringify(v);
  };
  return render(stack.resolve(value));
}

