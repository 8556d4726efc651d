// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Notification, Notifier } from '../core/notify';

/** Publishes with a `status` attribute so subscribers can filter failures only. */
export class SnsNotifier implements Notifier {
  constructor(private readonly sns: SNSClient, private readonly topicArn: string) {}

  async publish(n: Notification): Promise<void> {
    await this.sns.send(new PublishCommand({
      TopicArn: this.topicArn,
      Subject: n.subject,
      Message: n.body,
      MessageAttributes: { status: { DataType: 'String', StringValue: n.status } },
    }));
  }
}
