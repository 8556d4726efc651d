/**
 * Deployed processors in a moto_server of their own, for `reprocess` through
 * them: a Lambda function, an ECS cluster and task definition, a Batch queue
 * and job definition. moto runs Lambda and Batch without Docker here (its
 * "simple" backends: an invocation answers with its payload, or with the
 * responses queued by `queueLambdaResponse`; a job succeeds at once). Not
 * the shared moto_server: once it holds a Lambda function, its
 * `/moto-api/data.json` (which other tests read) fails looking for Docker.
 */
// eslint-disable-next-line import/no-extraneous-dependencies
import { BatchClient, CreateComputeEnvironmentCommand, CreateJobQueueCommand, RegisterJobDefinitionCommand } from '@aws-sdk/client-batch';
// eslint-disable-next-line import/no-extraneous-dependencies
import { CreateClusterCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
// eslint-disable-next-line import/no-extraneous-dependencies
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { uniqueName } from './moto';
import { startMoto } from './services';

export interface MotoProcessors {
  /** Client settings for this moto_server. */
  readonly aws: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  readonly functionName: string;
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly subnets: string[];
  readonly securityGroups: string[];
  readonly jobQueue: string;
  readonly jobDefinition: string;
}

/** One call of a Query-protocol API (IAM, EC2: no SDK client of theirs in this project); moto reads the service from the credential scope. */
async function query(endpoint: string, service: string, params: Record<string, string>): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    body: new URLSearchParams(params).toString(),
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Authorization': `AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto ${service} ${params.Action}: ${text}`);
  return text;
}

function element(xml: string, name: string): string {
  const m = new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml);
  if (!m) throw new Error(`no <${name}> in ${xml}`);
  return m[1];
}

let server: { endpoint: string; pid: number } | undefined;

/** Starts this file's moto_server (stopped by `stopMotoProcessors`) and creates the processors in it. */
export async function createMotoProcessors(): Promise<MotoProcessors> {
  server = await startMoto();
  const endpoint = server.endpoint;
  const aws = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const config = await fetch(`${endpoint}/moto-api/config`, { method: 'POST', body: JSON.stringify({ lambda: { use_docker: false }, batch: { use_docker: false } }) });
  if (!config.ok) throw new Error(`moto config: ${await config.text()}`);
  const name = uniqueName('processor');
  const role = element(await query(endpoint, 'iam', { Action: 'CreateRole', Version: '2010-05-08', RoleName: name, AssumeRolePolicyDocument: '{}' }), 'Arn');
  const vpc = element(await query(endpoint, 'ec2', { Action: 'CreateVpc', Version: '2016-11-15', CidrBlock: '10.20.0.0/16' }), 'vpcId');
  const subnet = element(await query(endpoint, 'ec2', { Action: 'CreateSubnet', Version: '2016-11-15', VpcId: vpc, CidrBlock: '10.20.1.0/24' }), 'subnetId');

  const lambda = new LambdaClient(aws);
  const ecs = new ECSClient(aws);
  const batch = new BatchClient(aws);
  try {
    // An empty zip: the simple backend never runs the code.
    const emptyZip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(18)]);
    await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: role, Handler: 'index.handler', Code: { ZipFile: emptyZip } }));
    await ecs.send(new CreateClusterCommand({ clusterName: name }));
    // Without requiresCompatibilities FARGATE: moto 5.2's awsvpc tasks fail on
    // its own network interfaces. The CLI's RunTask request is the same.
    await ecs.send(new RegisterTaskDefinitionCommand({ family: name, containerDefinitions: [{ name: 'processor', image: 'processor', memory: 512, cpu: 256 }] }));
    const ce = await batch.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: name, type: 'UNMANAGED', state: 'ENABLED', serviceRole: role }));
    await batch.send(new CreateJobQueueCommand({ jobQueueName: name, priority: 1, state: 'ENABLED', computeEnvironmentOrder: [{ order: 1, computeEnvironment: ce.computeEnvironmentArn! }] }));
    await batch.send(new RegisterJobDefinitionCommand({ jobDefinitionName: name, type: 'container', containerProperties: { image: 'processor', vcpus: 1, memory: 512, command: ['run'] } }));
  } finally {
    lambda.destroy();
    ecs.destroy();
    batch.destroy();
  }
  return { aws, functionName: name, cluster: name, taskDefinition: name, subnets: [subnet], securityGroups: ['sg-0123456789abcdef0'], jobQueue: name, jobDefinition: name };
}

/** The next invocation of any simple-backend function answers with `body`. */
export async function queueLambdaResponse(body: unknown): Promise<void> {
  const response = await fetch(`${server!.endpoint}/moto-api/static/lambda-simple/response`, {
    method: 'POST',
    body: JSON.stringify({ account_id: '123456789012', region: 'us-east-1', results: [JSON.stringify(body)] }),
  });
  if (!response.ok) throw new Error(`moto lambda-simple response: ${await response.text()}`);
}

export function stopMotoProcessors(): void {
  if (server) process.kill(server.pid, 'SIGTERM');
  server = undefined;
}
