/**
 * The container-image Lambda's entry point against a local server that
 * implements the Lambda Runtime API (the protocol, not the pipeline): events
 * in a row, results to /response, handler errors to /error, an init failure
 * to /init/error; then the bundled entry point as a process with the real
 * handler, PostgreSQL and moto behind it.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { build } from 'esbuild';
import { closeHelpers, createAws, putObject, runtimeEnv, TestAws, upload } from './helpers';
import { runRuntimeApiLoop } from '../../src/runtime/entry/container-lambda';
import { createTestDatabase } from '../support/db';
import { motoProcessEnv } from '../support/moto';

interface Posted { readonly path: string; readonly headers: http.IncomingHttpHeaders; readonly body: any }
interface Invocation { readonly id: string; readonly event: unknown; readonly deadlineMs?: number; readonly traceId?: string }

/** A Runtime API: hands out the queued invocations, records what the runtime posts, holds /next when the queue is empty. */
class FakeRuntimeApi {
  readonly posted: Posted[] = [];
  nextCalls = 0;
  private readonly queue: Invocation[] = [];
  private waiting?: http.ServerResponse;
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private listeners: Array<() => void> = [];

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  push(...invocations: Invocation[]): void {
    this.queue.push(...invocations);
    if (this.waiting) {
      const res = this.waiting;
      this.waiting = undefined;
      this.send(res);
    }
  }

  /** Resolves once `n` posts have arrived. */
  async posts(n: number, timeoutMs = 30_000): Promise<Posted[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.posted.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} posts, got ${JSON.stringify(this.posted)}`);
      await new Promise<void>((resolve) => { this.listeners.push(resolve); setTimeout(resolve, 100); });
    }
    return this.posted.slice(0, n);
  }

  async stop(): Promise<void> {
    this.waiting?.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private send(res: http.ServerResponse): void {
    const inv = this.queue.shift()!;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': inv.id,
      'Lambda-Runtime-Invoked-Function-Arn': 'arn:aws:lambda:eu-west-1:111111111111:function:processor',
      ...(inv.deadlineMs !== undefined ? { 'Lambda-Runtime-Deadline-Ms': String(inv.deadlineMs) } : {}),
      ...(inv.traceId ? { 'Lambda-Runtime-Trace-Id': inv.traceId } : {}),
    });
    res.end(inv.event === undefined ? '' : JSON.stringify(inv.event));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => { body += d; });
    req.on('end', () => {
      const url = req.url ?? '';
      if (req.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
        this.nextCalls++;
        if (this.queue.length > 0) this.send(res);
        else this.waiting = res;
        return;
      }
      if (req.method === 'POST' && /^\/2018-06-01\/runtime\/(invocation\/[^/]+\/(response|error)|init\/error)$/.test(url)) {
        this.posted.push({ path: url, headers: req.headers, body: body === '' ? undefined : JSON.parse(body) });
        res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"OK"}');
        this.listeners.splice(0).forEach((l) => l());
        return;
      }
      res.writeHead(404).end(`unknown ${req.method} ${url}`);
    });
  }
}

describe('the Runtime API client (any handler)', () => {
  let api: FakeRuntimeApi;
  let address: string;
  beforeEach(async () => {
    api = new FakeRuntimeApi();
    address = await api.start();
  });
  afterEach(() => api.stop());

  test('two invocations in a row: each result to its own /response, the context from the headers, the trace id in _X_AMZN_TRACE_ID', async () => {
    const now = Date.now();
    api.push(
      { id: 'req-1', event: { n: 1 }, deadlineMs: now + 60_000, traceId: 'Root=1-abc;Parent=def;Sampled=1' },
      { id: 'req-2', event: { n: 2 }, deadlineMs: now + 3_000 },
    );
    const ok = await runRuntimeApiLoop({
      api: address,
      maxInvocations: 2,
      env: { AWS_LAMBDA_FUNCTION_NAME: 'processor' },
      handler: async (event, context) => ({
        event,
        requestId: context.awsRequestId,
        arn: context.invokedFunctionArn,
        functionName: context.functionName,
        remainingMs: context.getRemainingTimeInMillis(),
        trace: process.env._X_AMZN_TRACE_ID ?? null,
      }),
    });
    expect(ok).toBe(true);
    const [first, second] = api.posted;
    expect(api.posted.map((p) => p.path)).toEqual(['/2018-06-01/runtime/invocation/req-1/response', '/2018-06-01/runtime/invocation/req-2/response']);
    expect(first.body).toMatchObject({
      event: { n: 1 },
      requestId: 'req-1',
      arn: 'arn:aws:lambda:eu-west-1:111111111111:function:processor',
      functionName: 'processor',
      trace: 'Root=1-abc;Parent=def;Sampled=1',
    });
    expect(first.body.remainingMs).toBeGreaterThan(55_000);
    expect(first.body.remainingMs).toBeLessThanOrEqual(60_000);
    expect(second.body).toMatchObject({ event: { n: 2 }, requestId: 'req-2', trace: null });
    expect(second.body.remainingMs).toBeLessThanOrEqual(3_000);
    expect(api.nextCalls).toBe(2);
  });

  test('a handler error goes to /error with errorType, errorMessage and the stack; the next invocation still runs', async () => {
    api.push({ id: 'bad', event: {}, deadlineMs: Date.now() + 10_000 }, { id: 'good', event: {}, deadlineMs: Date.now() + 10_000 });
    class PipelineFailure extends Error {
      constructor(message: string) { super(message); this.name = 'PipelineFailure'; }
    }
    let calls = 0;
    await runRuntimeApiLoop({
      api: address,
      maxInvocations: 2,
      handler: async () => {
        calls++;
        if (calls === 1) throw new PipelineFailure('2 of 5 files not started');
        return undefined;
      },
    });
    const [error, response] = api.posted;
    expect(error.path).toBe('/2018-06-01/runtime/invocation/bad/error');
    expect(error.headers['lambda-runtime-function-error-type']).toBe('Runtime.PipelineFailure');
    expect(error.body).toEqual({ errorType: 'PipelineFailure', errorMessage: '2 of 5 files not started', stackTrace: expect.arrayContaining([expect.stringMatching(/^at /)]) });
    // undefined is sent as JSON null, as the Node.js runtime does.
    expect(response).toMatchObject({ path: '/2018-06-01/runtime/invocation/good/response', body: null });
  });

  test('an init error goes to /init/error and no event is asked for', async () => {
    const logged: string[] = [];
    const ok = await runRuntimeApiLoop({
      api: address,
      stderr: (t) => logged.push(t),
      init: () => { throw Object.assign(new Error('Environment variable PIPELINE_OUTPUT_BUCKET is not set'), { name: 'ConfigError' }); },
      handler: async () => 'never',
    });
    expect(ok).toBe(false);
    expect(api.posted).toEqual([{
      path: '/2018-06-01/runtime/init/error',
      headers: expect.objectContaining({ 'lambda-runtime-function-error-type': 'Runtime.ConfigError' }),
      body: expect.objectContaining({ errorType: 'ConfigError', errorMessage: 'Environment variable PIPELINE_OUTPUT_BUCKET is not set' }),
    }]);
    expect(api.nextCalls).toBe(0);
    expect(logged.join('')).toContain('init failed');
  });

  test('a Runtime API that is not host:port is refused with the variable named', async () => {
    await expect(runRuntimeApiLoop({ api: 'localhost:http', handler: async () => null })).rejects.toThrow('AWS_LAMBDA_RUNTIME_API must be host:port, got "localhost:http"');
  });
});

describe('the bundled entry point with the processor handler', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let aws: TestAws;
  let work: string;
  let bundle: string;

  beforeAll(async () => {
    db = await createTestDatabase('clam');
    aws = await createAws();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-clam-'));
    bundle = path.join(work, 'lambda', 'index.js');
    await build({
      entryPoints: [path.join(__dirname, '../../src/runtime/entry/container-lambda.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      external: ['pg-native'],
      outfile: bundle,
      logLevel: 'silent',
    });
  });

  afterAll(async () => {
    closeHelpers();
    await db.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  function start(api: string, env: Record<string, string>): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
    const child = spawn(process.execPath, [bundle], { env: { PATH: process.env.PATH ?? '', ...env, AWS_LAMBDA_RUNTIME_API: api } });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.stdout!.resume();
    return { child, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))), stderr: () => stderr };
  }

  const env = (): Record<string, string> => ({
    ...runtimeEnv(aws, db.url),
    ...motoProcessEnv(),
  });

  test('an upload, then a scheduled run whose deadline is too close, then the same run with time: /response, /error, /response', async () => {
    const api = new FakeRuntimeApi();
    const address = await api.start();
    const proc = start(address, env());
    try {
      const { event } = await upload(aws.input, 'img/one.csv', 'id,name\n1,a\n2,b\n');
      await putObject(aws.input, 'img/2026-01-15/a.csv', 'id\n1\n');
      const run = { scheduledRun: { bucket: aws.input, prefix: 'img/{date}/', suffix: '.csv', scheduledTime: '2026-01-15T02:00:00Z', timeZone: 'UTC' } };
      api.push({ id: 'upload', event, deadlineMs: Date.now() + 60_000 });
      const [upload1] = await api.posts(1);
      expect(upload1.path).toBe('/2018-06-01/runtime/invocation/upload/response');
      expect(upload1.body.files).toEqual([expect.objectContaining({ status: 'succeeded', key: 'img/one.csv', rows: 2 })]);

      // 5 s left: under the finish margin, so the run starts nothing, reports it and fails (the retry goes on).
      api.push({ id: 'short', event: run, deadlineMs: Date.now() + 5_000 });
      const [, short] = await api.posts(2);
      expect(short.path).toBe('/2018-06-01/runtime/invocation/short/error');
      expect(short.body).toMatchObject({ errorType: 'Error', errorMessage: expect.stringContaining('1 of 1 files not started') });

      api.push({ id: 'retry', event: run, deadlineMs: Date.now() + 60_000 });
      const [, , retry] = await api.posts(3);
      expect(retry.path).toBe('/2018-06-01/runtime/invocation/retry/response');
      expect(retry.body.scheduledRun).toMatchObject({ date: '2026-01-15', counts: { files: 1, succeeded: 1, notStarted: 0 } });
      expect(proc.child.exitCode).toBeNull();
    } finally {
      proc.child.kill('SIGKILL');
      await proc.exited;
      await api.stop();
    }
  }, 60_000);

  test('a bad environment is an init error naming the variable, and the process exits 1', async () => {
    const api = new FakeRuntimeApi();
    const address = await api.start();
    const { PIPELINE_OUTPUT_BUCKET: _o, ...noOutput } = env();
    const proc = start(address, noOutput);
    try {
      const [posted] = await api.posts(1);
      expect(posted.path).toBe('/2018-06-01/runtime/init/error');
      expect(posted.body).toMatchObject({ errorType: 'ConfigError', errorMessage: 'Environment variable PIPELINE_OUTPUT_BUCKET is not set' });
      expect(await proc.exited).toBe(1);
      expect(api.nextCalls).toBe(0);
    } finally {
      proc.child.kill('SIGKILL');
      await api.stop();
    }
  }, 60_000);
});
