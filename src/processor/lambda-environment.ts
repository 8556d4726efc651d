import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** Lambda's limit on a function's environment: 4 KB for all keys and values together. */
export const LAMBDA_ENVIRONMENT_LIMIT = 4096;

/**
 * Bytes a value known only at deploy time (an ARN, a bucket name) is counted
 * as: more than the ARNs and names the pipeline passes usually take.
 */
const DEPLOY_TIME_VALUE_BYTES = 128;

/**
 * Fails the synth when the function's environment (keys plus values, as
 * Lambda counts it) would exceed 4 KB: CloudFormation accepts the template
 * and the deployment fails. Runs when the app synthesizes, so variables
 * added later with `addEnvironment()` count too.
 *
 * @internal
 */
export function checkEnvironmentSize(fn: lambda.Function): void {
  fn.node.addValidation({
    validate: () => {
      const cfn = fn.node.defaultChild as lambda.CfnFunction;
      const variables = (Stack.of(fn).resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined)?.variables ?? {};
      const sizes = Object.entries(variables).map(([key, value]) => ({ key, bytes: Buffer.byteLength(key) + valueBytes(value) }));
      const total = sizes.reduce((sum, s) => sum + s.bytes, 0);
      if (total <= LAMBDA_ENVIRONMENT_LIMIT) return [];
      const largest = sizes.sort((a, b) => b.bytes - a.bytes).slice(0, 3).map((s) => `${s.key} (${s.bytes} bytes)`).join(', ');
      return [`the environment of the processor function takes about ${total} bytes (keys and values; each deploy-time value counted as `
        + `${DEPLOY_TIME_VALUE_BYTES}) and Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT} in all, so the deployment would fail. `
        + `Largest: ${largest}. Shorten or remove these variables, or ship large configuration as a file (as the sink configuration is, in a layer).`];
    },
  });
}

/** The byte length of a resolved value: literal text as is, intrinsics by their parts. */
function valueBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  const join = (value as Record<string, unknown> | null)?.['Fn::Join'] as [string, unknown[]] | undefined;
  if (Array.isArray(join) && Array.isArray(join[1])) {
    return join[1].reduce((sum: number, part) => sum + valueBytes(part), 0) + Buffer.byteLength(join[0]) * Math.max(0, join[1].length - 1);
  }
  return DEPLOY_TIME_VALUE_BYTES;
}
