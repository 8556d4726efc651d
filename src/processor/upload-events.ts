import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * The fields of an EventBridge "Object Created" event the container
 * processors pass on. EventBridge carries the key as stored (S3 URL-encodes
 * keys only in its own notifications to SQS, SNS and Lambda), so the
 * runtime must not decode `--key`. Version id and sequencer are empty for
 * an unversioned bucket; the runtime treats empty values as absent.
 *
 * @internal
 */
export const UPLOAD_EVENT = {
  bucket: events.EventField.fromPath('$.detail.bucket.name'),
  key: events.EventField.fromPath('$.detail.object.key'),
  versionId: events.EventField.fromPath('$.detail.object.version-id'),
  sequencer: events.EventField.fromPath('$.detail.object.sequencer'),
};

/**
 * Turns on EventBridge notifications of `bucket` (through aws-cdk-lib's
 * bucket-notifications custom resource, which keeps the bucket's other
 * notifications) and returns the pattern of its "Object Created" events
 * whose keys match `filter`. For a bucket another stack or account owns,
 * its owner can instead enable "Send notifications to Amazon EventBridge"
 * on the bucket; the rule matches either way.
 *
 * @internal
 */
export function uploadEventPattern(bucket: s3.IBucket, filter: s3.NotificationKeyFilter): events.EventPattern {
  bucket.enableEventBridgeNotification();
  return {
    source: ['aws.s3'],
    detailType: ['Object Created'],
    detail: {
      bucket: { name: [bucket.bucketName] },
      ...(keyPattern(filter) ? { object: { key: keyPattern(filter) } } : {}),
    },
  };
}

function keyPattern(filter: s3.NotificationKeyFilter): string[] | undefined {
  const { prefix, suffix } = filter;
  if (prefix && suffix) {
    // One key must match both: a wildcard, with '*' and '\' escaped as EventBridge requires.
    const escape = (v: string) => v.replace(/[\\*]/g, (c) => `\\${c}`);
    return events.Match.wildcard(`${escape(prefix)}*${escape(suffix)}`);
  }
  if (prefix) return events.Match.prefix(prefix);
  if (suffix) return events.Match.suffix(suffix);
  return undefined;
}
