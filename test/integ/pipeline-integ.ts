/**
 * What every integration test of an example shares: the IntegTest around the
 * example's stack, and the post-deploy assertions (upload a CSV, await the
 * pipeline's result document or report, ask the Lambda processor for its
 * outcome). integ-runner runs the assertions only when it deploys
 * (`--update-on-failed` / `--force`); `npx projen integ` only compares the
 * synthesized snapshots (see ./README.md).
 */
import * as fs from 'fs';
import * as path from 'path';
import { AwsApiCall, ExpectedResult, IApiCall, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Aspects, Duration, IAspect, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { IConstruct } from 'constructs';
import type { BoundFargateProcessor, BoundQueueLambdaProcessor, CdkPipeline } from '../../src';

/**
 * The app of an integ test. Without construct stack traces, so the
 * snapshots' metadata holds no paths of the machine that wrote them.
 */
export function integApp(): App {
  return new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
}

/**
 * Synthesizes the integ app. With `INTEG_VERIFY_ASSERTIONS=1` (verify.sh
 * sets it when it only verifies), it also compares each assertion stack with
 * the committed snapshot and throws on a difference: integ-runner compares
 * only the test case stacks, so a changed assertion would otherwise pass.
 * The `salt` integ-tests gives each assertion (the time of the synth) and
 * asset hashes are left out of the comparison.
 */
export function synthIntegApp(app: App): void {
  const assembly = app.synth();
  if (process.env.INTEG_VERIFY_ASSERTIONS !== '1') return;
  const snapshotDir = `${process.argv[1]}.snapshot`;
  const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'integ.json'), 'utf8'));
  for (const testCase of Object.values(manifest.testCases) as Array<{ assertionStackName: string }>) {
    const file = `${testCase.assertionStackName}.template.json`;
    const committed = path.join(snapshotDir, file);
    const actual = comparable(fs.readFileSync(path.join(assembly.directory, file), 'utf8'));
    const expected = fs.existsSync(committed) ? comparable(fs.readFileSync(committed, 'utf8')) : undefined;
    if (expected === undefined || JSON.stringify(actual) !== JSON.stringify(expected)) {
      const changed = expected === undefined ? ['(not in the snapshot)'] : changedResources(expected, actual);
      throw new Error(`The assertions of ${path.basename(process.argv[1])} differ from its snapshot (${file}: ${changed.join(', ')}); `
        + 'update it: npx projen integ --update-on-failed --dry-run --force ' + path.basename(process.argv[1]));
    }
  }
}

type Template = { Resources?: Record<string, { Properties?: Record<string, unknown> }> };

function comparable(json: string): Template {
  const template = JSON.parse(json.replace(/[a-f0-9]{64}/g, 'ASSET_HASH')) as Template;
  Object.values(template.Resources ?? {}).forEach((r) => delete r.Properties?.salt);
  return template;
}

function changedResources(a: Template, b: Template): string[] {
  const ids = new Set([...Object.keys(a.Resources ?? {}), ...Object.keys(b.Resources ?? {})]);
  const changed = [...ids].filter((id) => JSON.stringify(a.Resources?.[id]) !== JSON.stringify(b.Resources?.[id]));
  if (changed.length === 0) return ['outputs or parameters'];
  return changed.length > 3 ? [...changed.slice(0, 3), `and ${changed.length - 3} more resources`] : changed;
}

/**
 * Gives each function's `currentVersion` the logical ID it has before
 * aws-cdk-lib appends the hash of the function's code and configuration
 * (`...CurrentVersionB6AC235E` + 32 hex digits). integ-runner ignores asset
 * hashes but not logical IDs, so without this every change to the runtime's
 * code would make the snapshots stale (the example snapshot test writes
 * `CODE_HASH` there for the same reason). Each integ deploy creates its
 * stack afresh, where the ID of the version changes nothing.
 */
class StableVersionIds implements IAspect {
  public visit(node: IConstruct): void {
    if (node instanceof lambda.CfnVersion && node.node.scope?.node.id === 'CurrentVersion') {
      node.overrideLogicalId(Stack.of(node).getLogicalId(node));
    }
  }
}

/**
 * Lets integ-runner destroy the stack after the assertions: the database's
 * deletion protection (on in the examples) would fail the stack's deletion.
 * The database still leaves a final snapshot, and the retained buckets,
 * key and ledger table stay (./README.md says how to remove them).
 */
class DeletableDatabase implements IAspect {
  public visit(node: IConstruct): void {
    if (node instanceof rds.CfnDBInstance) node.deletionProtection = false;
  }
}

/** An example stack: each exposes its pipeline. */
export interface ExampleStack extends Stack {
  readonly pipeline: CdkPipeline;
}

/**
 * The CSV the assertions upload: three orders, with every column any example
 * declares (the table sinks ignore the columns they do not declare).
 */
export const ORDERS_CSV = [
  'order_id,customer,placed_at,amount,currency,paid,note,region',
  '1,ACME,2026-01-15T09:30:00Z,12.50,EUR,true,first,eu',
  '2,Globex,2026-01-15T10:00:00Z,7.25,EUR,false,,eu',
  '3,ACME,2026-01-15T11:15:00Z,0.30,EUR,true,"a note, with a comma",eu',
].join('\n') + '\n';

/** The good rows of ORDERS_CSV. */
export const ORDERS_ROWS = 3;

/** ORDERS_CSV and one row a typed `paid` column refuses (rejected under SKIP_AND_REPORT). */
export const ORDERS_CSV_WITH_BAD_ROW = ORDERS_CSV + '4,Initech,2026-01-15T12:00:00Z,5.00,EUR,maybe,bad paid value,eu\n';

/** How long to poll for a result, and how often. */
export interface WaitOptions {
  /** @default 10 minutes */
  readonly totalTimeout?: Duration;
  /** @default 15 seconds */
  readonly interval?: Duration;
}

/** Batch jobs on EC2 Spot: the first job waits for Batch to start an instance (capacity, boot). */
export const BATCH_WAIT: WaitOptions = { totalTimeout: Duration.minutes(30), interval: Duration.seconds(30) };

/**
 * An example's stack wrapped in an IntegTest, with helpers that add
 * assertions in order (each one starts when the previous one passed).
 */
export class PipelineInteg {
  public readonly integ: IntegTest;
  private readonly pipeline: CdkPipeline;
  private last?: IApiCall;

  constructor(app: App, id: string, stack: ExampleStack) {
    this.pipeline = stack.pipeline;
    Aspects.of(stack).add(new StableVersionIds());
    Aspects.of(stack).add(new DeletableDatabase());
    this.integ = new IntegTest(app, id, {
      testCases: [stack],
      // The snapshot keeps the templates, not the bundled assets (megabytes
      // of runtime code and a Dockerfile context), so the update workflow,
      // which deploys the previous snapshot first, cannot run: every deploy
      // is a fresh stack.
      stackUpdateWorkflow: false,
      diffAssets: false,
    });
  }

  /** Uploads `csv` to the input bucket under `key`. */
  public upload(key: string, csv: string): IApiCall {
    const call = this.integ.assertions.awsApiCall('S3', 'putObject', {
      Bucket: this.pipeline.inputBucket.bucketName,
      Key: key,
      Body: csv,
      ContentType: 'text/csv',
    });
    this.allowKey(call, 'kms:GenerateDataKey', 'kms:Decrypt');
    return this.then(call);
  }

  /**
   * Waits for `results/<key>.json` in the output bucket and checks its fields
   * (`status`, `rows`, `rowsRejected`, ...) against `expected`.
   */
  public awaitResult(key: string, expected: Record<string, unknown>, wait?: WaitOptions): IApiCall {
    return this.awaitOutput(`results/${key}.json`, Match.serializedJson(Match.objectLike({ key, ...expected })), wait);
  }

  /** Waits for `reports/<name>.json` (a scheduled or prefix run's report) and checks it against `expected`. */
  public awaitReport(name: string, expected: Record<string, unknown>, wait?: WaitOptions): IApiCall {
    return this.awaitOutput(`reports/${name}.json`, Match.serializedJson(Match.objectLike(expected)), wait);
  }

  /** Waits for `rejects/<key>.csv` and checks that it holds a line matching `pattern` (a regular expression). */
  public awaitRejects(key: string, pattern: string, wait?: WaitOptions): IApiCall {
    return this.awaitOutput(`rejects/${key}.csv`, Match.stringLikeRegexp(pattern), wait);
  }

  /**
   * Invokes the Lambda processor with `{"reprocess": {bucket, key}}` (it
   * processes the object again, replacing its rows, and answers with the
   * outcome) and checks the outcome's fields, such as `rows`.
   */
  public reprocess(key: string, expected: Record<string, unknown>): IApiCall {
    const processor = this.pipeline.processor as BoundQueueLambdaProcessor;
    const call = this.integ.assertions.invokeFunction({
      functionName: processor.function.functionName,
      // The bucket name is a token inside the string: CloudFormation joins it in.
      payload: JSON.stringify({ reprocess: { bucket: this.pipeline.inputBucket.bucketName, key } }),
    });
    call.expect(ExpectedResult.objectLike({
      StatusCode: 200,
      Payload: Match.serializedJson(Match.objectLike({ key, ...expected })),
    }));
    return this.then(call);
  }

  /**
   * Starts the Fargate processor's task now with `command` (what the
   * schedule would start at its time), as the example README's
   * `aws ecs run-task` does, and checks that ECS accepted it.
   */
  public runFargateTask(command: string[]): IApiCall {
    const processor = this.pipeline.processor as BoundFargateProcessor;
    const call = this.integ.assertions.awsApiCall('ECS', 'runTask', {
      cluster: processor.cluster.clusterName,
      taskDefinition: processor.taskDefinition.taskDefinitionArn,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: this.pipeline.processingVpc.selectSubnets(this.pipeline.network.processingSubnets).subnetIds,
          securityGroups: [processor.securityGroup.securityGroupId],
          assignPublicIp: 'DISABLED',
        },
      },
      overrides: { containerOverrides: [{ name: processor.container.containerName, command }] },
    });
    call.provider.addToRolePolicy({
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: [processor.taskRole.roleArn, processor.executionRole.roleArn],
    });
    call.expect(ExpectedResult.objectLike({ failures: [] }));
    return this.then(call);
  }

  /** Polls GetObject on the output bucket until the object exists and its body matches. */
  private awaitOutput(key: string, body: unknown, wait: WaitOptions = {}): IApiCall {
    const call = this.integ.assertions.awsApiCall('S3', 'getObject', {
      Bucket: this.pipeline.outputBucket.bucketName,
      Key: key,
    });
    call.expect(ExpectedResult.objectLike({ Body: body }));
    call.waitForAssertions({
      totalTimeout: wait.totalTimeout ?? Duration.minutes(10),
      interval: wait.interval ?? Duration.seconds(15),
    });
    this.allowKey(call, 'kms:Decrypt');
    return this.then(call);
  }

  /** The buckets are encrypted with the pipeline's key: the assertion functions may use it. */
  private allowKey(call: IApiCall, ...actions: string[]): void {
    const statement = { Effect: 'Allow', Action: actions, Resource: [this.pipeline.encryptionKey.keyArn] };
    call.provider.addToRolePolicy(statement);
    (call as AwsApiCall).waiterProvider?.addToRolePolicy(statement);
  }

  /** Runs `call` after the assertion added before it. */
  private then(call: IApiCall): IApiCall {
    this.last?.next(call);
    this.last = call;
    return call;
  }
}
