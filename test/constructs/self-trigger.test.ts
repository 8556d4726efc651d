import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CdkPipeline, CdkPipelineProps, Trigger } from '../../src';

/** Issue 7, bug 2: one bucket as input and output/backup must not start the processor on its own writes. */

function build(buckets: (stack: Stack) => Partial<CdkPipelineProps>, props: CdkPipelineProps = {}) {
  const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
  const pipeline = new CdkPipeline(stack, 'P', { bastion: false, ...buckets(stack), ...props });
  return { stack, pipeline, template: Template.fromStack(stack) };
}

const shared = (...roles: Array<'inputBucket' | 'outputBucket' | 'backupBucket'>) => (stack: Stack) => {
  const bucket = new s3.Bucket(stack, 'Shared');
  return Object.fromEntries(roles.map((r) => [r, bucket]));
};

/** Every notification filter of every bucket, as `{ bucket, rules }`. */
function notificationFilters(template: Template): Array<{ bucket: unknown; rules: Array<{ Name: string; Value: string }> }> {
  return Object.values(template.findResources('Custom::S3BucketNotifications')).flatMap((n: any) => {
    const c = n.Properties.NotificationConfiguration;
    return [...(c.QueueConfigurations ?? []), ...(c.LambdaFunctionConfigurations ?? [])]
      .map((q: any) => ({ bucket: n.Properties.BucketName, rules: q.Filter.Key.FilterRules }));
  });
}

describe('refused at synth, with what to change', () => {
  test('input is also the output bucket and the default trigger has no prefix', () => {
    expect(() => build(shared('inputBucket', 'outputBucket'))).toThrow(
      "inputBucket is also the outputBucket, where the processor writes under 'results/', 'rejects/', 'reports/': "
      + "Trigger.onUpload() would start the processor on its own output (it has no prefix). Give Trigger.onUpload() a prefix such as 'incoming/' "
      + "that neither starts with nor is the start of 'results/', 'rejects/', 'reports/', or use separate buckets.");
  });

  test('input is also the backup bucket', () => {
    expect(() => build(shared('inputBucket', 'backupBucket'), { triggers: [Trigger.onUpload({ suffix: '.csv' })] }))
      .toThrow(/^inputBucket is also the backupBucket, where the processor writes under 'backup\/': .*\(it has no prefix\)/);
  });

  test('one bucket for all three', () => {
    expect(() => build(shared('inputBucket', 'outputBucket', 'backupBucket')))
      .toThrow(/^inputBucket is also the outputBucket and the backupBucket, where the processor writes under 'results\/', 'rejects\/', 'reports\/', 'backup\/'/);
  });

  test.each<[string, string, RegExp]>([
    ['the start of results/', 're', /its prefix 're' matches keys under 'results\/'/],
    ['a folder under results/', 'results/incoming/', /its prefix 'results\/incoming\/' matches keys under 'results\/'/],
    ['rejects/ itself', 'rejects/', /its prefix 'rejects\/' matches keys under 'rejects\/'/],
    ['a folder under reports/ (the prefix runs\' reports)', 'reports/2026/', /its prefix 'reports\/2026\/' matches keys under 'reports\/'/],
    ['a bare letter', 'r', /its prefix 'r' matches keys under 'results\/'/],
  ])('a prefix that is %s', (_n, prefix, message) => {
    expect(() => build(shared('inputBucket', 'outputBucket'), { triggers: [Trigger.onUpload({ prefix })] })).toThrow(message);
  });

  test('the backup prefix on a shared backup bucket', () => {
    expect(() => build(shared('inputBucket', 'backupBucket'), { triggers: [Trigger.onUpload({ prefix: 'backup/2026/' })] }))
      .toThrow(/its prefix 'backup\/2026\/' matches keys under 'backup\/'/);
  });

  test('one safe trigger does not excuse another', () => {
    const triggers = [Trigger.onUpload({ prefix: 'incoming/' }), Trigger.onUpload({ prefix: 'rejects/manual/' })];
    expect(() => build(shared('inputBucket', 'outputBucket'), { triggers })).toThrow(/its prefix 'rejects\/manual\/' matches keys under 'rejects\/'/);
  });

  test('two imports of the same bucket name', () => {
    const buckets = (stack: Stack) => ({
      inputBucket: s3.Bucket.fromBucketName(stack, 'In', 'acme-data'),
      outputBucket: s3.Bucket.fromBucketName(stack, 'Out', 'acme-data'),
    });
    expect(() => build(buckets)).toThrow(/^inputBucket is also the outputBucket/);
  });

  test('a bucket imported by the name of one the stack creates', () => {
    const buckets = (stack: Stack) => {
      const bucket = new s3.Bucket(stack, 'Data');
      return { inputBucket: bucket, backupBucket: s3.Bucket.fromBucketName(stack, 'Again', bucket.bucketName) };
    };
    expect(() => build(buckets)).toThrow(/^inputBucket is also the backupBucket/);
  });
});

describe('accepted', () => {
  test('one bucket for all three with a prefix outside results/, rejects/ and backup/', () => {
    const { stack, template } = build(shared('inputBucket', 'outputBucket', 'backupBucket'), {
      triggers: [Trigger.onUpload({ prefix: 'incoming/' }), Trigger.onUpload({ prefix: 'rex/', suffix: '.CSV' })],
    });
    const bucket = stack.resolve((stack.node.findChild('Shared') as s3.Bucket).bucketName);
    expect(notificationFilters(template)).toEqual([
      { bucket, rules: [{ Name: 'suffix', Value: '.csv' }, { Name: 'prefix', Value: 'incoming/' }] },
      { bucket, rules: [{ Name: 'suffix', Value: '.CSV' }, { Name: 'prefix', Value: 'rex/' }] },
    ]);
  });

  test('input shared with output only: backup/ is a prefix like any other there', () => {
    const { template } = build(shared('inputBucket', 'outputBucket'), { triggers: [Trigger.onUpload({ prefix: 'backup/' })] });
    expect(notificationFilters(template).map((f) => f.rules)).toEqual([[{ Name: 'suffix', Value: '.csv' }, { Name: 'prefix', Value: 'backup/' }]]);
  });

  test('output and backup in one bucket (different prefixes), default trigger', () => {
    const { template, pipeline } = build(shared('outputBucket', 'backupBucket'));
    expect(pipeline.outputBucket).toBe(pipeline.backupBucket);
    const filters = notificationFilters(template);
    expect(filters).toHaveLength(1);
    expect(filters[0].rules).toEqual([{ Name: 'suffix', Value: '.csv' }]);
    expect(filters[0].bucket).toEqual({ Ref: expect.stringMatching(/^PStorageInputBucket/) });
  });

  test('different literal names are different buckets', () => {
    const buckets = (stack: Stack) => ({
      inputBucket: s3.Bucket.fromBucketName(stack, 'In', 'acme-input'),
      outputBucket: s3.Bucket.fromBucketName(stack, 'Out', 'acme-output'),
    });
    expect(notificationFilters(build(buckets).template)).toHaveLength(1);
  });
});
