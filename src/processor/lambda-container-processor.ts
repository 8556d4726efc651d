import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { defaultLambdaImageCode } from './container-image';
import { checkEnvironmentSize, LAMBDA_ENVIRONMENT_LIMIT } from './lambda-environment';
import { IBoundProcessor, ProcessorBindContext } from './processor';
import { BoundQueueLambdaProcessor, ProcessorFunctionProps, QueueLambdaProcessor, QueueLambdaProcessorOptions } from './queue-lambda-base';
import { ENV } from '../shared/env';

/**
 * Options of `Processor.lambdaContainer()`: the zip Lambda's, plus the image.
 */
export interface LambdaContainerProcessorOptions extends QueueLambdaProcessorOptions {
  /**
   * The function's image. It must run the package's Lambda entry point
   * (`node /app/lambda/index.js` in the package's image) with the same
   * environment contract. `cdk deploy` builds an image asset with Docker;
   * without Docker, build it in AWS at deploy time with
   * `@cdklabs/deploy-time-build` (`ContainerImageBuild`, then
   * `lambda.DockerImageCode.fromEcr(build.repository, { tagOrDigest: build.imageTag })`).
   *
   * @default - the package's image (`assets/container`), built by `cdk deploy`
   */
  readonly code?: lambda.DockerImageCode;

  /**
   * Instruction set of the function (and of the image built for it).
   *
   * @default lambda.Architecture.X86_64 - the same image as the Fargate and Batch processors
   */
  readonly architecture?: lambda.Architecture;
}

/**
 * The resources of a bound {@link LambdaContainerProcessor}.
 */
export class BoundLambdaContainerProcessor extends BoundQueueLambdaProcessor {
  constructor(scope: Construct, id: string, context: ProcessorBindContext, options: LambdaContainerProcessorOptions) {
    super(scope, id, context, options, []);
  }

  /** @internal */
  protected _createFunction(context: ProcessorBindContext, options: LambdaContainerProcessorOptions, props: ProcessorFunctionProps): lambda.Function {
    const environment = { ...context.environment, [ENV.SINKS]: context.sinksJson };
    checkSinksFit(environment, context.sinksJson);
    const architecture = options.architecture ?? lambda.Architecture.X86_64;
    // Lambda pulls the image itself (the function's role needs no ECR
    // permissions); it is built once by `cdk deploy`.
    const fn = new lambda.DockerImageFunction(this, 'Function', {
      description: 'cdk-data-pipeline processor (container image): claims, parses and loads uploaded CSV files',
      code: options.code ?? defaultLambdaImageCode(architecture),
      architecture,
      ...props.common,
      environment,
    });
    checkEnvironmentSize(fn);
    return fn;
  }
}

/**
 * Runs the processor program as a container-image Lambda function: the
 * same queue, dead-letter queue, concurrency limit, retries and tracing as
 * `Processor.lambdaZip()`. A container-image function cannot use
 * layers, so the sink configuration is in its environment
 * (`PIPELINE_SINKS`); the synth fails when it does not fit Lambda's 4 KB.
 */
export class LambdaContainerProcessor extends QueueLambdaProcessor {
  // No endpoints: Lambda pulls and caches the image itself, outside the VPC.
  /**
   * A container-image Lambda processor; `Processor.lambdaContainer()` is the same.
   *
   * @param options - the function's settings; each has a default
   */
  constructor(private readonly options: LambdaContainerProcessorOptions = {}) {
    super('Processor.lambdaContainer()', options);
  }

  public bind(scope: Construct, context: ProcessorBindContext): IBoundProcessor {
    return new BoundLambdaContainerProcessor(scope, 'LambdaProcessor', context, this.options);
  }
}

/** Bytes a value known only at deploy time is counted as (as lambda-environment.ts does). */
const DEPLOY_TIME_VALUE_BYTES = 128;

/**
 * Fails the synth, naming the sinks, when the sink configuration does not
 * fit the function's environment.
 */
function checkSinksFit(environment: { [key: string]: string }, sinksJson: string): void {
  const total = Object.entries(environment).reduce((sum, [k, v]) =>
    sum + Buffer.byteLength(k) + (Token.isUnresolved(v) ? DEPLOY_TIME_VALUE_BYTES : Buffer.byteLength(v)), 0);
  if (total <= LAMBDA_ENVIRONMENT_LIMIT) return;
  const sinks = (JSON.parse(sinksJson) as Array<{ kind?: string; schema?: string; table?: string }>)
    .map((s) => (s.table ? `${s.kind ?? 'sink'} ${s.schema ? `${s.schema}.` : ''}${s.table}` : (s.kind ?? 'sink')));
  throw new Error(`Processor.lambdaContainer(): the sink configuration (${ENV.SINKS}, ${Buffer.byteLength(sinksJson)} bytes for `
    + `${sinks.join(', ')}) does not fit the function's environment, which Lambda limits to ${LAMBDA_ENVIRONMENT_LIMIT} bytes in all `
    + `(about ${total} needed); a container-image function cannot use the layer the zip Lambda ships it in. `
    + 'Use Processor.lambdaZip(), Processor.fargate() or Processor.batch(), or declare fewer columns.');
}
