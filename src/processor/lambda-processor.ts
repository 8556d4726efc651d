import * as path from 'path';
import { Annotations, Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { checkEnvironmentSize } from './lambda-environment';
import { IBoundProcessor, ProcessorBindContext } from './processor';
import { BoundQueueLambdaProcessor, ProcessorFunctionProps, QueueLambdaProcessor, QueueLambdaProcessorOptions } from './queue-lambda-base';
import { SINKS_FILE_IN_LAYER, SinkConfigLayer } from './sink-config-layer';
import { ENV } from '../shared/env';

/**
 * Options of `Processor.lambdaZip()`.
 */
export interface LambdaProcessorOptions extends QueueLambdaProcessorOptions {
  /**
   * Has no effect: it limited Lambda's retries of asynchronous invocations,
   * and the processor is now invoked from its SQS queue. A file's message
   * stays in the queue up to 4 days, and at most `retryAttempts + 1`
   * attempts are made before it moves to the dead-letter queue.
   *
   * @deprecated SQS-invoked runs are not asynchronous invocations; use `retryAttempts`.
   * @default - ignored (a synth warning when set)
   */
  readonly maxEventAge?: Duration;

  /**
   * Instruction set of the function.
   *
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
}

/** The Node.js runtime of the processor function. */
export const PROCESSOR_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** The zip bundle of the processor program (projen bundles src/runtime/entry/processor.lambda.ts there). @internal */
export const PROCESSOR_LAMBDA_ASSET = path.join(__dirname, '..', '..', 'assets', 'runtime', 'entry', 'processor.lambda');

/**
 * Runs the processor program as a zip Lambda function in the processing
 * VPC's private subnets. S3 notifications go to an encrypted, TLS-only SQS
 * queue; the function takes one file per invocation, at most
 * `maxConcurrency` at once, and reports the files that failed for a
 * pipeline reason, which are retried and then moved to a dead-letter queue.
 */
export class LambdaProcessor extends QueueLambdaProcessor {
  /**
   * A zip Lambda processor; `Processor.lambdaZip()` is the same.
   *
   * @param options - the function's settings; each has a default
   */
  constructor(private readonly options: LambdaProcessorOptions = {}) {
    super('Processor.lambdaZip()', options);
  }

  public bind(scope: Construct, context: ProcessorBindContext): IBoundProcessor {
    return new BoundLambdaProcessor(scope, 'LambdaProcessor', context, this.options);
  }
}

/**
 * The resources of a bound {@link LambdaProcessor}.
 */
export class BoundLambdaProcessor extends BoundQueueLambdaProcessor {
  /**
   * The layer that holds the sink configuration, as the file
   * `/opt/cdk-data-pipeline/sinks.json` named by `PIPELINE_SINKS_FILE`.
   */
  public readonly sinkConfigLayer: lambda.ILayerVersion;

  constructor(scope: Construct, id: string, context: ProcessorBindContext, options: LambdaProcessorOptions) {
    super(scope, id, context, options, []);
    if (options.maxEventAge !== undefined) {
      Annotations.of(this).addWarningV2('cdk-data-pipeline:maxEventAgeIgnored',
        'Processor.lambdaZip(): maxEventAge has no effect since the processor reads from an SQS queue; remove it (retryAttempts sets the attempts per file)');
    }
    this.sinkConfigLayer = (this.node.findChild('SinkConfig') as SinkConfigLayer).layer;
  }

  /** @internal */
  protected _createFunction(context: ProcessorBindContext, options: LambdaProcessorOptions, props: ProcessorFunctionProps): lambda.Function {
    const architecture = options.architecture ?? lambda.Architecture.ARM_64;
    // Lambda allows 4 KB of environment in all: the sink configuration
    // travels as a file in a layer instead.
    const layer = new SinkConfigLayer(this, 'SinkConfig', {
      json: context.sinksJson, runtime: PROCESSOR_RUNTIME, architecture,
    }).layer;
    const fn = new lambda.Function(this, 'Function', {
      description: 'cdk-data-pipeline processor: claims, parses and loads uploaded CSV files',
      runtime: PROCESSOR_RUNTIME,
      architecture,
      layers: [layer],
      handler: 'index.handler',
      code: lambda.Code.fromAsset(PROCESSOR_LAMBDA_ASSET),
      ...props.common,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...context.environment,
        [ENV.SINKS_FILE]: SINKS_FILE_IN_LAYER,
      },
    });
    checkEnvironmentSize(fn);
    return fn;
  }
}
