/**
 * Every way the sink authenticates, against the broker's own listeners:
 * SASL/SCRAM-SHA-512 and mutual TLS with credentials from a Secrets
 * Manager secret (moto), TLS with a private CA, and OAUTHBEARER through the
 * token-provider path of MSK IAM. And the errors a user must be able to act
 * on: wrong credentials, an untrusted certificate, a missing topic, a
 * message too large.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { broker, createTopic, csvOf, fileContext, idsOf, opener, readTopic } from './kafka-helpers';
import { createKafkaSink, KafkaRowSink, KafkaSinkDeps } from '../../../src/runtime/kafka';
import type { KafkaAuthConfig } from '../../../src/shared/kafka-sink-config';
import { testKafka } from '../../support/kafka-broker';
import { motoClientConfig, uniqueName } from '../../support/moto';

const secrets = new SecretsManagerClient(motoClientConfig());
const sinks: KafkaRowSink[] = [];
let topic: string;

afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
  secrets.destroy();
});

beforeAll(async () => {
  topic = await createTopic('auth');
});

async function secret(value: unknown): Promise<string> {
  const out = await secrets.send(new CreateSecretCommand({ Name: uniqueName('kafka'), SecretString: JSON.stringify(value) }));
  return out.ARN!;
}

/** An unsigned JWT, which the broker's unsecured validator accepts. */
function unsecuredJwt(sub: string, lifetimeS = 3600): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none' })}.${part({ sub, iat: now, exp: now + lifetimeS })}.`;
}

function sink(brokers: string, auth: KafkaAuthConfig, deps: KafkaSinkDeps = {}): KafkaRowSink {
  const s = createKafkaSink({ kind: 'kafka', topic, brokers: [brokers], auth, key: { fileAndLine: true } }, {
    secrets, retry: { attempts: 2, firstDelayMs: 100 }, metrics: { write: () => undefined }, ...deps,
  });
  sinks.push(s);
  return s;
}

async function delivered(file: string): Promise<number[]> {
  return idsOf((await readTopic(topic)).filter((m) => m.headers.key === file));
}

test.each([
  ['SCRAM-SHA-512 over TLS, credentials from Secrets Manager', 'scram', async (): Promise<KafkaAuthConfig> => ({
    mechanism: 'scram-sha-512', secretArn: await secret({ username: testKafka().scramUser, password: testKafka().scramPassword }), caPem: testKafka().caPem,
  })],
  ['TLS with the private CA', 'tls', async (): Promise<KafkaAuthConfig> => ({ mechanism: 'tls', caPem: testKafka().caPem })],
  ['mutual TLS, certificate and key from Secrets Manager', 'mtls', async (): Promise<KafkaAuthConfig> => ({
    mechanism: 'mtls', secretArn: await secret({ certificate: testKafka().clientCertPem, privateKey: testKafka().clientKeyPem }), caPem: testKafka().caPem,
  })],
] as const)('%s', async (_name, listener, auth) => {
  const file = `${listener}.csv`;
  const out = await sink(broker(listener), await auth()).load(undefined, fileContext(file, 'v1'), opener(csvOf(50)));
  expect(out.rowsLoaded).toBe(50);
  expect(await delivered(file)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
});

test('MSK IAM path: OAUTHBEARER tokens from the provider, asked again when they expire', async () => {
  const asked: string[] = [];
  const s = sink(broker('oauth'), { mechanism: 'iam', region: 'eu-west-1' }, {
    iamCaPem: testKafka().caPem,
    // Tokens that expire at once: every new connection asks for one.
    iamToken: async (region) => {
      asked.push(region);
      return { token: unsecuredJwt('pipeline'), expiresAt: Date.now() };
    },
  });
  expect((await s.load(undefined, fileContext('iam.csv', 'v1'), opener(csvOf(20)))).rowsLoaded).toBe(20);
  expect(await delivered('iam.csv')).toHaveLength(20);
  expect(asked.length).toBeGreaterThan(1);
  expect(new Set(asked)).toEqual(new Set(['eu-west-1']));
});

test('MSK IAM with the real signer: its token (a signed URL, not a JWT) is refused by this broker, as a clear auth error', async () => {
  const s = sink(broker('oauth'), { mechanism: 'iam', region: 'us-east-1' }, { iamCaPem: testKafka().caPem });
  const err = await s.load(undefined, fileContext('signer.csv', 'v1'), opener(csvOf(5))).catch((e) => e);
  expect(err.name).toBe('Error');
  expect(err.message).toMatch(/^Kafka sink could not authenticate or is not authorized \(auth iam\) for topic "auth-[0-9a-f]+"/);
  expect(err.message).toContain(broker('oauth'));
  expect(await delivered('signer.csv')).toEqual([]);
});

test('wrong SCRAM password: a clear error naming the broker, nothing sent', async () => {
  const arn = await secret({ username: testKafka().scramUser, password: 'wrong' });
  const s = sink(broker('scram'), { mechanism: 'scram-sha-512', secretArn: arn, caPem: testKafka().caPem });
  const err = await s.load(undefined, fileContext('wrong.csv', 'v1'), opener(csvOf(5))).catch((e) => e);
  expect(err.name).toBe('Error');
  expect(err.message).toMatch(/could not authenticate .*\(auth scram-sha-512\)/);
  expect(err.message).toContain(broker('scram'));
  expect(err.message).toMatch(/SASL SCRAM SHA512 authentication failed|SASL_AUTHENTICATION_FAILED|Authentication failed/i);
  expect(await delivered('wrong.csv')).toEqual([]);
});

test('a secret without the fields: the secret and the missing field are named', async () => {
  const arn = await secret({ user: 'x' });
  const s = sink(broker('scram'), { mechanism: 'scram-sha-512', secretArn: arn });
  await expect(s.load(undefined, fileContext('nofields.csv', 'v1'), opener(csvOf(1)))).rejects.toThrow(`The Kafka secret ${arn} has no "username", "password" (a string is expected)`);
});

test('TLS without the private CA: the certificate is refused, clearly', async () => {
  const s = sink(broker('tls'), { mechanism: 'tls' });
  const err = await s.load(undefined, fileContext('ca.csv', 'v1'), opener(csvOf(1))).catch((e) => e);
  expect(err.message).toMatch(/could not authenticate or is not authorized \(auth tls\)/);
  expect(err.message).toMatch(/certificate/i);
});

test('topic missing: the error names the topic and the brokers', async () => {
  const missing = uniqueName('missing');
  const s = createKafkaSink({ kind: 'kafka', topic: missing, brokers: [broker()], auth: { mechanism: 'plaintext' }, key: { fileAndLine: true } },
    { retry: { attempts: 2, firstDelayMs: 100 }, metrics: { write: () => undefined } });
  sinks.push(s);
  const err = await s.load(undefined, fileContext('m.csv', 'v1'), opener(csvOf(1))).catch((e) => e);
  expect(err.message).toContain(`Kafka topic "${missing}"`);
  expect(err.message).toContain('does not exist on');
  expect(err.message).toContain(broker());
});

test('message too large: the error names the topic and the line; the transaction holding it is aborted', async () => {
  const small = await createTopic('small', { config: { 'max.message.bytes': '20000' } });
  const metrics: string[] = [];
  const s = createKafkaSink({
    kind: 'kafka', topic: small, brokers: [broker()], auth: { mechanism: 'plaintext' }, key: { fileAndLine: true }, compression: 'none', checkpointEvery: 10,
  }, { retry: { attempts: 2, firstDelayMs: 100 }, metrics: { write: (l) => metrics.push(l) } });
  sinks.push(s);
  const big = 'x'.repeat(50_000);
  const csv = csvOf(25).replace('\n17,name 17\n', `\n17,${big}\n`);
  const err = await s.load(undefined, fileContext('big.csv', 'v1'), opener(csv)).catch((e) => e);
  expect(err.name).toBe('Error');
  expect(err.message).toContain(`Kafka topic "${small}" refused line 18 of local/big.csv@v1`);
  expect(err.message).toContain('max.message.bytes');
  expect(idsOf(await readTopic(small, { minCount: 10 }))).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  expect(metrics.some((l) => JSON.parse(l).KafkaSendErrors === 1)).toBe(true);
});
