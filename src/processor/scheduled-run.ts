import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ScheduledRunOptions } from './processor';
import { applyAcknowledgments, NagAcknowledgment, scheduledRunAcknowledgments } from '../nag-acknowledgments';
import { ManagedPolicyRole } from '../security/managed-policy-role';

/** How often the scheduler retries a run it could not start, and for how long. */
const SCHEDULE_RETRY_ATTEMPTS = 2;
const SCHEDULE_MAX_EVENT_AGE = Duration.hours(1);

/** The placeholder EventBridge Scheduler replaces with the run's scheduled time (ISO 8601, UTC). */
export const SCHEDULED_TIME = scheduler.ContextAttribute.scheduledTime;

/** The run's time zone: the option, else the schedule expression's, else UTC. @internal */
export function scheduledRunTimeZone(o: ScheduledRunOptions): string {
  return (o.timeZone ?? o.schedule.timeZone ?? TimeZone.ETC_UTC).timezoneName;
}

/**
 * The container command of a scheduled run (`run --bucket B --prefix P ...`):
 * the runtime turns `--date` (the scheduled time) into the date in
 * `--time-zone` and puts it in for `{date}` in the prefix.
 *
 * @internal
 */
export function scheduledRunCommand(o: ScheduledRunOptions): string[] {
  return [
    'run', '--bucket', o.bucket.bucketName, '--prefix', o.prefix, '--suffix', o.suffix,
    '--date', SCHEDULED_TIME, '--time-zone', scheduledRunTimeZone(o),
    ...(o.daysBefore ? ['--days-before', String(o.daysBefore)] : []),
  ];
}

/** The Lambda payload of a scheduled run (`{"scheduledRun": {...}}`). @internal */
export function scheduledRunPayload(o: ScheduledRunOptions): { [key: string]: unknown } {
  return {
    scheduledRun: {
      bucket: o.bucket.bucketName,
      prefix: o.prefix,
      suffix: o.suffix,
      scheduledTime: SCHEDULED_TIME,
      timeZone: scheduledRunTimeZone(o),
      ...(o.daysBefore ? { daysBefore: o.daysBefore } : {}),
    },
  };
}

/** What a processor's scheduled run is made of. @internal */
export interface ScheduledRun {
  readonly schedule: scheduler.Schedule;
  /** Where the scheduler keeps the runs it could not start. */
  readonly deadLetterQueue: sqs.Queue;
  /** The role the scheduler starts the run with. */
  readonly role: iam.IRole;
  /** The cdk-nag findings of the run, acknowledged already. */
  readonly acknowledgments: NagAcknowledgment[];
}

/**
 * One schedule with its own least-privilege role (a managed policy, no
 * inline one), a retry policy and an encrypted dead-letter queue. `target`
 * builds the schedule target from the base props it is given.
 *
 * @internal
 */
export function createScheduledRun(
  scope: Construct,
  id: string,
  options: ScheduledRunOptions,
  target: (base: targets.ScheduleTargetBaseProps) => scheduler.IScheduleTarget,
  invokedFunctionArn?: string,
): ScheduledRun {
  const construct = new Construct(scope, id);
  const stack = Stack.of(construct);
  const deadLetterQueue = new sqs.Queue(construct, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const role = new ManagedPolicyRole(construct, 'Role', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
    description: `Scheduled run ${construct.node.path}`,
  });
  const schedule = new scheduler.Schedule(construct, 'Schedule', {
    schedule: options.schedule,
    description: options.description ?? `cdk-data-pipeline: process ${options.prefix}*${options.suffix}`,
    target: target({
      role,
      deadLetterQueue,
      retryAttempts: SCHEDULE_RETRY_ATTEMPTS,
      maxEventAge: SCHEDULE_MAX_EVENT_AGE,
    }),
  });
  // Applied here, so a run added after the pipeline was built is covered too.
  const acknowledgments = scheduledRunAcknowledgments(deadLetterQueue, role, invokedFunctionArn);
  applyAcknowledgments(construct, acknowledgments);
  return { schedule, deadLetterQueue, role, acknowledgments };
}
