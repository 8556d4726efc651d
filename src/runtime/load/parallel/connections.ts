/**
 * The extra connections of a parallel load. By default they are opened with
 * the settings of the connection the file was claimed on (same server, user,
 * password, TLS), so they need nothing from the processor's wiring, and
 * closed when the file is loaded; a processor may pass its own (a pool).
 */
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { Client, ClientBase } from 'pg';

export interface WorkerConnection {
  readonly client: ClientBase;
  /** Gives the connection back (or closes it). */
  close(): Promise<void>;
}

export type ConnectWorker = () => Promise<WorkerConnection>;

interface ConnectionParametersLike {
  host?: string;
  port?: number;
  user?: string;
  database?: string;
  password?: unknown;
  ssl?: unknown;
}

/** Connections like `claim`: a new pg Client with its parameters. */
export function connectionsLike(claim: ClientBase): ConnectWorker {
  const p = (claim as unknown as { connectionParameters?: ConnectionParametersLike }).connectionParameters;
  if (!p) throw new Error('internal error: the claim connection has no connection parameters to open parallel connections with');
  // pg keeps the password it used on the client itself (it may have come from a function or .pgpass).
  const password = (claim as unknown as { password?: unknown }).password ?? p.password;
  return async () => {
    const client = new Client({
      host: p.host,
      port: p.port,
      user: p.user,
      database: p.database,
      password: typeof password === 'string' ? password : undefined,
      ssl: p.ssl as never,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      application_name: 'cdk-data-pipeline parallel copy',
    });
    // A connection that dies fails its query; the event itself must not crash the process.
    client.on('error', () => undefined);
    await client.connect();
    return { client, close: () => client.end() };
  };
}
