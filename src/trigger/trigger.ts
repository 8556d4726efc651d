import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { assertNoSelfTrigger } from './self-trigger';
import { IBoundProcessor } from '../processor/processor';

/**
 * What a trigger is given when the pipeline binds it.
 */
export interface TriggerBindContext {
  /** Bucket CSV files are uploaded to. */
  readonly inputBucket: s3.IBucket;
  /**
   * Bucket the processor writes `results/`, `rejects/` and `reports/` to. A trigger on
   * the same bucket must not match those keys.
   */
  readonly outputBucket: s3.IBucket;
  /**
   * Bucket the processor writes `backup/` copies to. A trigger on the same
   * bucket must not match those keys.
   */
  readonly backupBucket: s3.IBucket;
  /** The processor the trigger starts. */
  readonly processor: IBoundProcessor;
}

/**
 * Options of `Trigger.onUpload()`.
 */
export interface UploadTriggerOptions {
  /**
   * Only keys starting with this prefix start the processor. Required when
   * the input bucket is also the output or backup bucket: it must then
   * neither start with nor be the start of `results/`, `rejects/` or
   * `backup/` (where the processor writes), e.g. `incoming/`.
   *
   * @default - any key
   */
  readonly prefix?: string;

  /**
   * Only keys ending with this suffix start the processor.
   *
   * @default '.csv'
   */
  readonly suffix?: string;
}

/**
 * What starts the processor. Pick one or more with the static factories.
 */
export abstract class Trigger {
  /**
   * Process every object created in the input bucket whose key matches
   * `prefix` and `suffix` (default suffix `.csv`). The pipeline refuses a
   * trigger that would match the processor's own writes (input bucket shared
   * with the output or backup bucket, and no safe `prefix`).
   *
   * @param options - which keys start the processor; by default every `*.csv` key
   */
  public static onUpload(options: UploadTriggerOptions = {}): Trigger {
    return new UploadTrigger(options);
  }

  /**
   * Process every object under `prefix` (with `{date}` replaced by the run's
   * date in the schedule's time zone) on a schedule, and write one report per
   * run to the output bucket (`reports/<date>.json`). With a Lambda processor
   * one invocation processes the whole prefix within the function's timeout,
   * and its retry goes on with what it could not start (the files done are
   * duplicates); large prefixes belong on a container processor, whose run
   * has no time limit.
   */
  public static schedule(options: ScheduleTriggerOptions): Trigger {
    return new ScheduleTrigger(options);
  }

  /** Connects the trigger to the bound processor. */
  public abstract bind(scope: Construct, context: TriggerBindContext): void;
}

class UploadTrigger extends Trigger {
  constructor(private readonly options: UploadTriggerOptions) {
    super();
    const { prefix, suffix } = options;
    for (const [name, value] of [['prefix', prefix], ['suffix', suffix]] as const) {
      if (value !== undefined && (value.length === 0 || value.length > 1024 || /[*?]/.test(value))) {
        throw new Error(`Trigger.onUpload(): ${name} must be 1-1024 characters without wildcards (got '${value}'); omit it to match every key`);
      }
    }
  }

  public bind(_scope: Construct, context: TriggerBindContext): void {
    assertNoSelfTrigger('Trigger.onUpload()', context, this.options.prefix);
    context.processor.addUploadSource(context.inputBucket, {
      prefix: this.options.prefix,
      suffix: this.options.suffix ?? '.csv',
    });
  }
}

// Imported last, as aws-ecs does for its image factories: ScheduleTrigger
// extends Trigger, so Trigger must be defined before its module loads.
// eslint-disable-next-line import/first, import/order
import { ScheduleTrigger, ScheduleTriggerOptions } from './schedule-trigger';
