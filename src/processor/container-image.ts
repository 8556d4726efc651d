import * as path from 'path';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The build context of the package's image (the Dockerfile and the runtime
 * bundles, copied to `assets/container/` at library build time). `cdk deploy`
 * builds it; a synth only records it as an image asset and needs no Docker.
 *
 * @internal
 */
export const CONTAINER_ASSET_DIR = path.join(__dirname, '..', '..', 'assets', 'container');

/** Where the image's Lambda entry point is (the Lambda Runtime API loop around the handler). @internal */
export const CONTAINER_LAMBDA_ENTRYPOINT = ['node', '--enable-source-maps', '/app/lambda/index.js'];

/** The image platform of a CPU architecture. */
function platformOf(arm64: boolean): Platform {
  return arm64 ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64;
}

/**
 * The package's image for ECS and Batch. The same asset (same build context
 * and platform) as the container Lambda's, so one image is built and pushed.
 *
 * @internal
 */
export function defaultContainerImage(architecture: ecs.CpuArchitecture): ecs.ContainerImage {
  return ecs.ContainerImage.fromAsset(CONTAINER_ASSET_DIR, { platform: platformOf(architecture === ecs.CpuArchitecture.ARM64) });
}

/**
 * The package's image as Lambda code: the same image with the Lambda entry
 * point instead of the CLI.
 *
 * @internal
 */
export function defaultLambdaImageCode(architecture: lambda.Architecture): lambda.DockerImageCode {
  return lambda.DockerImageCode.fromImageAsset(CONTAINER_ASSET_DIR, {
    platform: platformOf(architecture === lambda.Architecture.ARM_64),
    entrypoint: CONTAINER_LAMBDA_ENTRYPOINT,
    cmd: [],
  });
}
