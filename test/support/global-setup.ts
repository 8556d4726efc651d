import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startKafkaBroker } from './kafka-broker';
import { startMoto, startPostgres, STATE_FILE } from './services';

/** Starts PostgreSQL, moto_server and a Kafka broker once for the whole Jest run. */
export default async function globalSetup(): Promise<void> {
  const [pg, moto, kafka] = await Promise.all([startPostgres(), startMoto(), startKafkaBroker()]);
  fs.mkdirSync(path.dirname(STATE_FILE), { recursive: true });
  // The run's temporary files (every synthesized app writes a cdk.out of several MB) in one
  // directory of its own, removed by globalTeardown: repeated runs do not fill the disk.
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-jest-'));
  // Open like /tmp itself: the test servers run as the postgres user, and initdb makes its data directory here.
  fs.chmodSync(tmpDir, 0o1777);
  fs.writeFileSync(STATE_FILE, JSON.stringify({ pids: [pg.pid, moto.pid, kafka.pid], dataDir: pg.dataDir, kafkaDir: kafka.dir, tmpDir }));
  process.env.TMPDIR = tmpDir;
  // Workers are forked after globalSetup and inherit these.
  process.env.TEST_DATABASE_URL = pg.url;
  process.env.TEST_MOTO_ENDPOINT = moto.endpoint;
  const { stop: _stop, restart: _restart, pid: _pid, dir: _dir, ...kafkaInfo } = kafka;
  process.env.TEST_KAFKA = JSON.stringify(kafkaInfo);
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_DEFAULT_REGION = 'us-east-1';
}
