/**
 * Certificates of the test Kafka broker, made with openssl at setup: a CA, a
 * server certificate for 127.0.0.1/localhost signed by it (the broker's TLS
 * listeners) and a client certificate signed by it (the mutual TLS listener).
 * The broker reads them as PEM files (`ssl.keystore.type=PEM`), so no
 * keytool or Java keystore is needed.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export interface KafkaCerts {
  /** PEM of the CA that signed the broker's and the client's certificates. */
  readonly caPem: string;
  readonly caFile: string;
  /** Broker key (unencrypted PKCS#8) followed by its certificate: the PEM keystore. */
  readonly serverKeystoreFile: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
}

function run(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: 'pipe' });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer; message: string };
    if (e.code === 'ENOENT') throw new Error('openssl not found; the Kafka broker of the tests gets its TLS certificates from it. Install it: apt-get install -y openssl');
    throw new Error(`openssl ${args.join(' ')} failed in ${cwd}: ${e.stderr?.toString() || e.message}`);
  }
}

/** A key and a certificate signed by the CA in `dir`, with these extensions. */
function signed(dir: string, name: string, subject: string, extensions: string): void {
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
  run(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
}

/** Makes the CA and the certificates in `dir` (created if missing). */
export function makeKafkaCerts(dir: string): KafkaCerts {
  fs.mkdirSync(dir, { recursive: true });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=cdk-data-pipeline test Kafka CA'], dir);
  signed(dir, 'server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  signed(dir, 'client', '/CN=pipeline-client', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  const serverKeystoreFile = path.join(dir, 'server-keystore.pem');
  fs.writeFileSync(serverKeystoreFile, read('server.key') + read('server.pem'));
  return {
    caPem: read('ca.pem'),
    caFile: path.join(dir, 'ca.pem'),
    serverKeystoreFile,
    clientCertPem: read('client.pem'),
    clientKeyPem: read('client.key'),
  };
}
