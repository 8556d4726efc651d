/**
 * Entry point of the container-image Lambda (bundled to
 * assets/container/lambda/index.js): a small client of the Lambda Runtime API
 * that runs the same handler as the zip Lambda (./processor.lambda.ts), so the
 * processor image needs neither an AWS Lambda base image nor the native
 * runtime interface client.
 *
 * The protocol (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html),
 * at `http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`:
 * - once: build the runtime from the environment; if that fails, POST
 *   `/init/error` and exit (Lambda reports the init failure and starts again);
 * - loop: GET `/invocation/next` (blocks until there is an event; headers
 *   Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms,
 *   Lambda-Runtime-Invoked-Function-Arn, Lambda-Runtime-Trace-Id), run the
 *   handler with a context whose `getRemainingTimeInMillis` counts down to the
 *   deadline, then POST the result to `/invocation/<id>/response`, or
 *   `{errorType, errorMessage, stackTrace}` to `/invocation/<id>/error`.
 */
import * as http from 'http';
import { sharedRuntime } from './lambda-runtime';
import { handler, LambdaContext } from './processor.lambda';

const API_VERSION = '2018-06-01';

/** The context the handler gets, as the Node.js runtime builds it (the parts that exist without the native client). */
export interface ContainerLambdaContext extends LambdaContext {
  readonly awsRequestId: string;
  readonly invokedFunctionArn: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly memoryLimitInMB: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
}

export interface RuntimeApiClientOptions {
  /** `host:port` of the Runtime API (`AWS_LAMBDA_RUNTIME_API`). */
  readonly api: string;
  readonly handler: (event: unknown, context: ContainerLambdaContext) => Promise<unknown>;
  /** Builds what the handler needs; a throw is reported to `/init/error`. */
  readonly init?: () => void | Promise<void>;
  readonly env?: Record<string, string | undefined>;
  /** Where to log the runtime's own problems. */
  readonly stderr?: (text: string) => void;
  /** Stop after this many invocations (tests); default: never. */
  readonly maxInvocations?: number;
}

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** An error as the Runtime API takes it. */
export function errorBody(err: unknown): { errorType: string; errorMessage: string; stackTrace: string[] } {
  const e = err instanceof Error ? err : new Error(typeof err === 'string' ? err : JSON.stringify(err));
  return {
    errorType: e.name || 'Error',
    errorMessage: e.message,
    stackTrace: (e.stack ?? '').split('\n').slice(1).map((l) => l.trim()).filter((l) => l !== ''),
  };
}

export class RuntimeApiClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly host: string;
  private readonly port: number;

  constructor(api: string) {
    const [host, port] = api.split(':');
    if (!host) throw new Error(`AWS_LAMBDA_RUNTIME_API must be host:port, got ${JSON.stringify(api)}`);
    this.host = host;
    this.port = port ? Number(port) : 80;
    if (!Number.isInteger(this.port) || this.port <= 0 || this.port > 65535) throw new Error(`AWS_LAMBDA_RUNTIME_API must be host:port, got ${JSON.stringify(api)}`);
  }

  /** Blocks until Lambda hands over the next event. */
  async next(): Promise<{ event: unknown; headers: http.IncomingHttpHeaders }> {
    const reply = await this.request('GET', 'invocation/next');
    if (reply.status !== 200) throw new Error(`GET invocation/next answered ${reply.status}: ${reply.body.slice(0, 500)}`);
    return { event: reply.body === '' ? undefined : JSON.parse(reply.body), headers: reply.headers };
  }

  async respond(requestId: string, result: unknown): Promise<Reply> {
    return this.request('POST', `invocation/${encodeURIComponent(requestId)}/response`, JSON.stringify(result ?? null));
  }

  async fail(requestId: string, err: unknown): Promise<Reply> {
    return this.request('POST', `invocation/${encodeURIComponent(requestId)}/error`, JSON.stringify(errorBody(err)), errorHeaders(err));
  }

  async initError(err: unknown): Promise<Reply> {
    return this.request('POST', 'init/error', JSON.stringify(errorBody(err)), errorHeaders(err));
  }

  destroy(): void {
    this.agent.destroy();
  }

  private request(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: this.host,
        port: this.port,
        method,
        path: `/${API_VERSION}/runtime/${path}`,
        agent: this.agent,
        headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}

function errorHeaders(err: unknown): Record<string, string> {
  return { 'Lambda-Runtime-Function-Error-Type': `Runtime.${errorBody(err).errorType}`.replace(/[^\w.]/g, '') };
}

function header(headers: http.IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function contextFrom(headers: http.IncomingHttpHeaders, env: Record<string, string | undefined>): ContainerLambdaContext {
  const deadline = Number(header(headers, 'Lambda-Runtime-Deadline-Ms'));
  return {
    awsRequestId: header(headers, 'Lambda-Runtime-Aws-Request-Id') ?? '',
    invokedFunctionArn: header(headers, 'Lambda-Runtime-Invoked-Function-Arn') ?? '',
    functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? '',
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? '',
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '',
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME ?? '',
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
    // No deadline header (never from Lambda itself): no limit, as for the CLI.
    getRemainingTimeInMillis: () => (Number.isFinite(deadline) ? Math.max(0, deadline - Date.now()) : Number.MAX_SAFE_INTEGER),
  };
}

/**
 * Runs the init, then invocations one after the other until
 * `maxInvocations` (never, in Lambda). Returns false when the init failed
 * (reported to `/init/error`); throws when the Runtime API itself fails.
 */
export async function runRuntimeApiLoop(options: RuntimeApiClientOptions): Promise<boolean> {
  const env = options.env ?? process.env;
  const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
  const client = new RuntimeApiClient(options.api);
  try {
    try {
      await options.init?.();
    } catch (err) {
      stderr(`cdk-data-pipeline: init failed: ${(err as Error).stack ?? String(err)}\n`);
      await client.initError(err);
      return false;
    }
    for (let n = 0; options.maxInvocations === undefined || n < options.maxInvocations; n++) {
      const { event, headers } = await client.next();
      const context = contextFrom(headers, env);
      const trace = header(headers, 'Lambda-Runtime-Trace-Id');
      // The X-Ray SDK and the AWS SDK read the trace of the current invocation from here.
      if (trace) process.env._X_AMZN_TRACE_ID = trace;
      else delete process.env._X_AMZN_TRACE_ID;
      let result: unknown;
      let failure: { err: unknown } | undefined;
      try {
        result = await options.handler(event, context);
      } catch (err) {
        failure = { err };
      }
      const reply = failure ? await client.fail(context.awsRequestId, failure.err) : await client.respond(context.awsRequestId, result);
      if (reply.status >= 300) {
        // 413: the result is over Lambda's payload limit; Lambda fails the invocation itself.
        stderr(`cdk-data-pipeline: the Runtime API refused the ${failure ? 'error' : 'response'} of ${context.awsRequestId} with ${reply.status}: ${reply.body.slice(0, 500)}\n`);
      }
    }
    return true;
  } finally {
    client.destroy();
  }
}

/** The image's command: the processor's handler behind the Runtime API of this Lambda. */
export function main(env: Record<string, string | undefined> = process.env): void {
  const api = env.AWS_LAMBDA_RUNTIME_API;
  if (!api) {
    process.stderr.write('cdk-data-pipeline: AWS_LAMBDA_RUNTIME_API is not set: this is the container-image Lambda entry point, '
      + 'run by Lambda; for a container task use the cdk-data-pipeline command (run --help)\n');
    process.exitCode = 1;
    return;
  }
  runRuntimeApiLoop({
    api,
    env,
    // Build the clients and read the configuration before the first event, so a bad environment is an init error.
    init: () => { sharedRuntime(); },
    handler: (event, context) => handler(event, context),
  }).then(
    (ok) => { if (!ok) process.exit(1); },
    (err) => {
      process.stderr.write(`cdk-data-pipeline: the Lambda Runtime API failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) main();
