import { randomBytes } from 'crypto';

/** Endpoint of the moto_server started by globalSetup. */
export function motoEndpoint(): string {
  const url = process.env.TEST_MOTO_ENDPOINT;
  if (!url) throw new Error('TEST_MOTO_ENDPOINT is not set: run the tests through jest (globalSetup starts moto_server)');
  return url;
}

/** Client settings that point an AWS SDK v3 client at moto. */
export function motoClientConfig() {
  return {
    endpoint: motoEndpoint(),
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

/** A bucket or topic name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** The environment that points a child process's AWS SDK clients at moto. */
export function motoProcessEnv(): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: motoEndpoint(),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
}
