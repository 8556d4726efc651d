/**
 * A real single-node Apache Kafka 4.1 broker for the tests and the Kafka
 * bench: KRaft in combined mode (broker and controller in one JVM, no
 * ZooKeeper), run from the Maven Central jars that scripts/kafka/install.sh
 * copies into a cache directory, on 127.0.0.1 only, with a 512 MB heap.
 *
 * Listeners (all on loopback, each on a free port):
 * - `plaintext`: PLAINTEXT, no authentication;
 * - `scram`: SASL_SSL with SCRAM-SHA-512 (user `SCRAM_USER`, created by the
 *   storage format);
 * - `oauth`: SASL_SSL with OAUTHBEARER, validated by Kafka's unsecured-token
 *   handler: any unsigned JWT with a `sub` is accepted, which exercises the
 *   client's token-provider path (MSK IAM's mechanism);
 * - `tls`: SSL, server certificate only;
 * - `mtls`: SSL with `ssl.client.auth=required` (the client certificate of
 *   ./kafka-certs.ts).
 *
 * Topics are never created automatically, so a missing topic is an error as
 * on MSK. globalSetup starts one shared broker; a test that must restart a
 * broker starts its own with `startKafkaBroker()`. Nothing is skipped when
 * java or mvn is missing: starting fails with the command that installs it.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { KafkaCerts, makeKafkaCerts } from './kafka-certs';
import { freePort } from './services';

export const KAFKA_VERSION = '4.1.2';
export const SCRAM_USER = 'pipeline';
export const SCRAM_PASSWORD = 'pipeline-scram-secret';
const ROOT = path.join(__dirname, '..', '..');
const INSTALL = 'scripts/kafka/install.sh';

export type KafkaListener = 'plaintext' | 'scram' | 'oauth' | 'tls' | 'mtls';
const LISTENERS: readonly KafkaListener[] = ['plaintext', 'scram', 'oauth', 'tls', 'mtls'];

/** What a test needs to reach the broker; JSON in `TEST_KAFKA` for the Jest workers. */
export interface KafkaBrokerInfo {
  /** `127.0.0.1:<port>` of each listener. */
  readonly brokers: Readonly<Record<KafkaListener, string>>;
  readonly caPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  readonly scramUser: string;
  readonly scramPassword: string;
}

export interface KafkaBroker extends KafkaBrokerInfo {
  readonly pid: number;
  /** Holds the certificates, server.properties, the log directory and `broker.log`. */
  readonly dir: string;
  /** Stops the JVM (SIGTERM: a clean shutdown; SIGKILL: a crash) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports and data. */
  restart(): Promise<KafkaBroker>;
}

/** Where the broker's jars are cached: `$PIPELINE_KAFKA_LIBS`, else `.test-services/kafka-libs` (gitignored). */
export function kafkaLibsDir(): string {
  return process.env.PIPELINE_KAFKA_LIBS ?? path.join(ROOT, '.test-services', 'kafka-libs');
}

function requireCommand(cmd: string, install: string): void {
  try {
    execFileSync(cmd, ['-version'], { stdio: 'pipe' });
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new Error(`${cmd} not found: the tests run a real Apache Kafka ${KAFKA_VERSION} broker. Install it: ${install}`);
    }
  }
}

/** The jars' directory, filled through Maven Central (scripts/kafka/install.sh) when the broker jar is missing. */
export function ensureKafkaLibs(): string {
  requireCommand('java', 'apt-get install -y openjdk-17-jre-headless');
  const dir = kafkaLibsDir();
  if (!fs.existsSync(path.join(dir, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
    requireCommand('mvn', 'apt-get install -y maven');
    try {
      execFileSync('bash', [path.join(ROOT, INSTALL), dir], { stdio: 'pipe' });
    } catch (err) {
      const e = err as { stderr?: Buffer; stdout?: Buffer; message: string };
      throw new Error(`Could not fetch the Kafka ${KAFKA_VERSION} jars into ${dir} (run ${INSTALL}): ${e.stderr?.toString() || e.stdout?.toString() || e.message}`);
    }
  }
  return dir;
}

interface Ports extends Record<KafkaListener, number> { readonly controller: number }

function serverProperties(dir: string, ports: Ports, certs: KafkaCerts): string {
  const names = [...LISTENERS, 'controller'].map((l) => l.toUpperCase());
  const at = (l: KafkaListener | 'controller') => `${l.toUpperCase()}://127.0.0.1:${ports[l]}`;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${ports.controller}`,
    'controller.listener.names=CONTROLLER',
    `listeners=${[...LISTENERS, 'controller' as const].map(at).join(',')}`,
    `advertised.listeners=${LISTENERS.map(at).join(',')}`,
    `listener.security.protocol.map=${names.map((n) => `${n}:${{ SCRAM: 'SASL_SSL', OAUTH: 'SASL_SSL', TLS: 'SSL', MTLS: 'SSL' }[n] ?? 'PLAINTEXT'}`).join(',')}`,
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${path.join(dir, 'data')}`,
    // TLS of every SSL-based listener: the PEM keystore and the CA as truststore.
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${certs.serverKeystoreFile}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${certs.caFile}`,
    'listener.name.mtls.ssl.client.auth=required',
    'listener.name.scram.sasl.enabled.mechanisms=SCRAM-SHA-512',
    'listener.name.scram.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.oauth.sasl.enabled.mechanisms=OAUTHBEARER',
    'listener.name.oauth.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
    'listener.name.oauth.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler',
    // One node: every internal topic has one replica; few partitions and threads keep it small.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'num.partitions=1',
    'default.replication.factor=1',
    'auto.create.topics.enable=false',
    'group.initial.rebalance.delay.ms=0',
    'num.network.threads=2',
    'num.io.threads=2',
    'background.threads=2',
    'num.recovery.threads.per.data.dir=1',
    'log.cleaner.threads=1',
    'log.cleaner.dedupe.buffer.size=8388608',
    '',
  ].join('\n');
}

function java(libs: string, dir: string, args: string[]): ChildProcess {
  const log = fs.openSync(path.join(dir, 'broker.log'), 'a');
  return spawn('java', [
    '-Xms512m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:ActiveProcessorCount=2',
    '-Djava.awt.headless=true', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-cp', `${libs}/*`, ...args,
  ], { cwd: dir, stdio: ['ignore', log, log], detached: true });
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, 'broker.log'), 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no broker.log)';
  }
}

async function launch(libs: string, dir: string, ports: Ports, info: KafkaBrokerInfo): Promise<KafkaBroker> {
  const child = java(libs, dir, ['kafka.Kafka', path.join(dir, 'server.properties')]);
  const deadline = Date.now() + 90_000;
  for (const l of LISTENERS) {
    while (!(await listening(ports[l]))) {
      if (child.exitCode !== null) throw new Error(`Kafka broker exited with code ${child.exitCode} before listening on ${l} (${ports[l]}); ${path.join(dir, 'broker.log')}:\n${tail(dir)}`);
      if (Date.now() > deadline) throw new Error(`Kafka broker did not listen on ${l} (${ports[l]}) within 90 s; ${path.join(dir, 'broker.log')}:\n${tail(dir)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.unref();
  const broker: KafkaBroker = {
    ...info,
    pid: child.pid!,
    dir,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      try { process.kill(-child.pid!, signal); } catch { return; /* already gone */ }
      // Polled rather than awaiting 'exit': the child is unref'd, which would let a script end first.
      const until = Date.now() + 60_000;
      while (alive(child.pid!)) {
        if (Date.now() > until) throw new Error(`Kafka broker ${child.pid} did not stop within 60 s of ${signal}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    restart: () => launch(libs, dir, ports, info),
  };
  return broker;
}

/**
 * Formats a fresh log directory (with the SCRAM user) and starts the broker.
 * Resolves once every listener accepts connections.
 */
export async function startKafkaBroker(): Promise<KafkaBroker> {
  const libs = ensureKafkaLibs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-kafka-'));
  const certs = makeKafkaCerts(path.join(dir, 'certs'));
  const ports = { controller: await freePort() } as Record<string, number>;
  for (const l of LISTENERS) ports[l] = await freePort();
  const properties = path.join(dir, 'server.properties');
  fs.writeFileSync(properties, serverProperties(dir, ports as unknown as Ports, certs));
  const clusterId = randomBytes(16).toString('base64url');
  // `--cluster-id=<id>`: a base64url id may start with `-`, which would read as an option.
  const format = java(libs, dir, ['kafka.tools.StorageTool', 'format', '--standalone', `--cluster-id=${clusterId}`, '-c', properties,
    '--add-scram', `SCRAM-SHA-512=[name=${SCRAM_USER},password=${SCRAM_PASSWORD}]`]);
  const code = await new Promise<number | null>((resolve) => format.once('exit', resolve));
  if (code !== 0) throw new Error(`kafka.tools.StorageTool format exited with ${code}; ${path.join(dir, 'broker.log')}:\n${tail(dir)}`);
  const info: KafkaBrokerInfo = {
    brokers: Object.fromEntries(LISTENERS.map((l) => [l, `127.0.0.1:${ports[l]}`])) as Record<KafkaListener, string>,
    caPem: certs.caPem,
    clientCertPem: certs.clientCertPem,
    clientKeyPem: certs.clientKeyPem,
    scramUser: SCRAM_USER,
    scramPassword: SCRAM_PASSWORD,
  };
  return launch(libs, dir, ports as unknown as Ports, info);
}

/** The shared broker globalSetup started (from `TEST_KAFKA`). */
export function testKafka(): KafkaBrokerInfo {
  const json = process.env.TEST_KAFKA;
  if (!json) throw new Error('TEST_KAFKA is not set: run the tests through jest (globalSetup starts the Kafka broker)');
  return JSON.parse(json) as KafkaBrokerInfo;
}
