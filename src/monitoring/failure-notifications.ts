import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Where failure events are published. @internal */
export interface FailureNotificationTarget {
  readonly topic: sns.ITopic;
  /** The topic's key, which EventBridge must be allowed to use. */
  readonly topicKey?: kms.IKey;
  readonly pipelineName: string;
  /** Where EventBridge keeps notifications it could not deliver. */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * Publishes to the topic when a task of `taskDefinition` (any revision of
 * its family) in `cluster` stops with a container exit code other than 0 or
 * fails to start. The message names the task, the reason, the exit code and
 * the command (which holds the object's bucket and key).
 *
 * @internal
 */
export function notifyFailedTasks(scope: Construct, id: string, cluster: ecs.ICluster, taskDefinition: ecs.TaskDefinition,
  to: FailureNotificationTarget): events.Rule {
  const stack = Stack.of(scope);
  const rule = new events.Rule(scope, id, {
    description: `${to.pipelineName}: a processor task stopped with a non-zero exit code or failed to start`,
    eventPattern: {
      source: ['aws.ecs'],
      detailType: ['ECS Task State Change'],
      detail: {
        clusterArn: [cluster.clusterArn],
        taskDefinitionArn: events.Match.prefix(`arn:${Aws.PARTITION}:ecs:${stack.region}:${stack.account}:task-definition/${taskDefinition.family}:`),
        lastStatus: ['STOPPED'],
        $or: [
          // A Spot reclaim is not a failure: the task is started again and resumes.
          { containers: { exitCode: [{ 'anything-but': 0 }] }, stopCode: [{ 'anything-but': ['SpotInterruption'] }] },
          { stopCode: ['TaskFailedToStart'] },
        ],
      },
    },
  });
  const field = (p: string) => events.EventField.fromPath(p);
  rule.addTarget(new targets.SnsTopic(to.topic, {
    deadLetterQueue: to.deadLetterQueue,
    message: events.RuleTargetInput.fromMultilineText([
      `${to.pipelineName}: a processor task failed.`,
      `Task: ${field('$.detail.taskArn')}`,
      `Stopped: ${field('$.detail.stoppedReason')} (${field('$.detail.stopCode')})`,
      `Exit code: ${field('$.detail.containers[0].exitCode')} (1: a file failed, 2: usage error, 75: interrupted, retried)`,
      `Command: ${field('$.detail.overrides.containerOverrides[0].command')}`,
      'Logs: the processor log group, stream ecs/processor/ followed by the task id.',
    ].join('\n')),
  }));
  allowEventBridge(to);
  return rule;
}

/**
 * Publishes to the topic when a job of `jobQueue` fails (after its last
 * attempt). The message names the job, the reason and the object.
 *
 * @internal
 */
export function notifyFailedJobs(scope: Construct, id: string, jobQueue: batch.IJobQueue, to: FailureNotificationTarget): events.Rule {
  const rule = new events.Rule(scope, id, {
    description: `${to.pipelineName}: a processor job failed after its last attempt`,
    eventPattern: {
      source: ['aws.batch'],
      detailType: ['Batch Job State Change'],
      detail: { status: ['FAILED'], jobQueue: [jobQueue.jobQueueArn] },
    },
  });
  const field = (p: string) => events.EventField.fromPath(p);
  rule.addTarget(new targets.SnsTopic(to.topic, {
    deadLetterQueue: to.deadLetterQueue,
    message: events.RuleTargetInput.fromMultilineText([
      `${to.pipelineName}: a processor job failed after its last attempt.`,
      `Job: ${field('$.detail.jobName')} (${field('$.detail.jobId')})`,
      `Reason: ${field('$.detail.statusReason')}`,
      `Object: s3://${field('$.detail.parameters.bucket')}/${field('$.detail.parameters.key')} (version ${field('$.detail.parameters.versionId')})`,
      `Exit code: ${field('$.detail.container.exitCode')} (1: a file failed, 2: usage error, 75: interrupted)`,
    ].join('\n')),
  }));
  allowEventBridge(to);
  return rule;
}

/**
 * How often a failure rule matched (AWS/Events TriggeredRules), summed per
 * minute: the failed tasks or jobs it notified.
 *
 * @internal
 */
export function metricRuleMatches(rule: events.IRule): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Events', metricName: 'TriggeredRules', dimensionsMap: { RuleName: rule.ruleName }, statistic: 'Sum', period: Duration.minutes(1),
  });
}

/** Lets EventBridge use the topic's key (the SnsTopic target adds the topic policy itself). */
function allowEventBridge(to: FailureNotificationTarget): void {
  to.topicKey?.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowEventBridgeFailureNotifications',
    principals: [new iam.ServicePrincipal('events.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(to.topic).account } },
  }));
}
