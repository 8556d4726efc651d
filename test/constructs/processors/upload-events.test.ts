import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CdkPipeline, Processor, Trigger } from '../../../src';

/** The key pattern of the upload rule of a Fargate pipeline with `trigger`, and the template. */
function uploadRule(trigger: Trigger, inputBucket?: (s: Stack) => s3.IBucket): { key: unknown; template: Template } {
  const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
  new CdkPipeline(stack, 'P', { bastion: false, processor: Processor.fargate(), triggers: [trigger], inputBucket: inputBucket?.(stack) });
  const template = Template.fromStack(stack);
  const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r: any) => r.Properties.EventPattern.source[0] === 'aws.s3') as any;
  return { key: rule.Properties.EventPattern.detail.object?.key, template };
}

describe('container upload rules: the S3 notification filter as an EventBridge pattern', () => {
  test('prefix and suffix: one wildcard, so a key must match both', () => {
    expect(uploadRule(Trigger.onUpload({ prefix: 'incoming/', suffix: '.csv' })).key).toEqual([{ wildcard: 'incoming/*.csv' }]);
  });

  test('a backslash in the prefix is escaped (EventBridge wildcards treat it as an escape)', () => {
    expect(uploadRule(Trigger.onUpload({ prefix: 'in\\box/', suffix: '.csv' })).key).toEqual([{ wildcard: 'in\\\\box/*.csv' }]);
  });

  test('suffix only (the default trigger)', () => {
    expect(uploadRule(Trigger.onUpload()).key).toEqual([{ suffix: '.csv' }]);
  });

  test('a bucket you bring (imported by name) gets EventBridge notifications through the notifications custom resource', () => {
    const { template } = uploadRule(Trigger.onUpload(), (s) => s3.Bucket.fromBucketName(s, 'In', 'my-uploads'));
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: 'my-uploads',
      NotificationConfiguration: { EventBridgeConfiguration: {} },
      Managed: false,
    });
  });
});
