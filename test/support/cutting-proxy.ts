/**
 * A TCP proxy in front of moto_server that breaks S3 downloads on request:
 * the AWS SDK talks to it like to any endpoint, and every byte passes through
 * unchanged until a rule armed by the test matches a request's method and
 * path (by default: a GET, a download).
 * Then, after `afterBytes` bytes of that response's body:
 *
 * - `cut`: both sockets are destroyed, so the client sees its download end
 *   early (what a dropped connection or an S3 reset looks like to the SDK);
 * - `hold`: the rest of the response is kept back until `release()` (a
 *   download that stalls, to fault the database while a COPY waits for data).
 *
 * Requests are told apart by their request line at the start of a chunk from
 * the client; the SDK sends one request at a time per connection.
 */
import * as net from 'net';

export interface CutRule {
  /** The request method the rule applies to (default GET; CopyObject is a PUT). */
  readonly method?: string;
  /** Matched against the request target (path and query) of the requests of that method. */
  readonly path: RegExp;
  /** Bytes of the response body let through first; negative (`hold` only): not even the status line and headers. */
  readonly afterBytes: number;
  readonly mode: 'cut' | 'hold';
  /** How many matching downloads the rule applies to (default 1). */
  readonly times?: number;
}

export interface ArmedRule {
  /** Resolves when a download reached `afterBytes` and was cut or held. */
  readonly triggered: Promise<void>;
  /** Downloads this rule applied to so far. */
  readonly hits: () => number;
  /** A held download continues; later matches pass through untouched. */
  release(): void;
}

export interface CuttingProxy {
  readonly endpoint: string;
  /** GET request targets seen so far. */
  readonly gets: string[];
  arm(rule: CutRule): ArmedRule;
  close(): Promise<void>;
}

const REQUEST_LINE = /^(GET|HEAD|PUT|POST|DELETE|PATCH|OPTIONS) (\S+) HTTP\/1\.[01]\r\n/;

interface Rule extends CutRule {
  left: number;
  hits: number;
  released: boolean;
  waiting: (() => void)[];
  fire(): void;
}

export async function startCuttingProxy(upstream: string): Promise<CuttingProxy> {
  const target = new URL(upstream);
  const rules: Rule[] = [];
  const gets: string[] = [];
  const sockets = new Set<net.Socket>();

  const listener = net.createServer((client) => {
    const server = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(server);
    const destroy = () => {
      client.destroy();
      server.destroy();
    };
    /** While a response is held, moto closing its side must not drop what is held: the client gets it, then the end. */
    let holding = false;
    let upstreamClosed = false;
    client.on('close', () => { sockets.delete(client); server.destroy(); });
    server.on('close', () => {
      sockets.delete(server);
      if (holding) upstreamClosed = true;
      else client.destroy();
    });
    const holdUntilReleased = (rule: Rule, pending: Buffer) => {
      holding = true;
      server.pause();
      rule.fire();
      const resume = () => {
        holding = false;
        if (!client.destroyed) client.write(pending);
        if (upstreamClosed) client.end();
        else server.resume();
      };
      if (rule.released) resume();
      else rule.waiting.push(resume);
    };
    client.on('error', destroy);
    server.on('error', destroy);

    /** The rule applied to the response in flight on this connection, if any. */
    let active: Rule | undefined;
    let headerDone = false;
    let head = Buffer.alloc(0);
    let bodySeen = 0;

    client.on('data', (chunk: Buffer) => {
      const line = REQUEST_LINE.exec(chunk.subarray(0, 4096).toString('latin1'));
      if (line) {
        active = undefined;
        if (line[1] === 'GET') gets.push(line[2]);
        const rule = rules.find((r) => r.left > 0 && (r.method ?? 'GET') === line[1] && r.path.test(line[2]));
        if (rule) {
          rule.left--;
          rule.hits++;
          active = rule;
          headerDone = false;
          head = Buffer.alloc(0);
          bodySeen = 0;
        }
      }
      server.write(chunk);
    });

    server.on('data', (chunk: Buffer) => {
      const rule = active;
      if (!rule) {
        client.write(chunk);
        return;
      }
      if (rule.mode === 'hold' && rule.afterBytes < 0) {
        // The whole response, status line included: the SDK resolves some calls (CopyObject) on the headers.
        if (rule.released) {
          client.write(chunk);
          return;
        }
        holdUntilReleased(rule, chunk);
        return;
      }
      let body = chunk;
      if (!headerDone) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        headerDone = true;
        client.write(head.subarray(0, end + 4));
        body = head.subarray(end + 4);
        head = Buffer.alloc(0);
      }
      if (rule.mode === 'hold' && rule.released) {
        client.write(body);
        return;
      }
      const room = Math.max(0, rule.afterBytes - bodySeen);
      bodySeen += body.length;
      if (body.length <= room) {
        client.write(body);
        return;
      }
      client.write(body.subarray(0, room));
      const rest = body.subarray(room);
      if (rule.mode === 'cut') {
        active = undefined;
        // Let what was written reach the client first, then drop both ends.
        client.end(() => destroy());
        setTimeout(destroy, 50).unref();
        rule.fire();
        return;
      }
      // hold: stop reading from moto until released; keep what arrived.
      holdUntilReleased(rule, rest);
    });
  });

  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as net.AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    gets,
    arm: (cut) => {
      let fire!: () => void;
      const triggered = new Promise<void>((resolve) => { fire = resolve; });
      const rule: Rule = { ...cut, left: cut.times ?? 1, hits: 0, released: false, fire, waiting: [] };
      rules.push(rule);
      return {
        triggered,
        hits: () => rule.hits,
        release: () => {
          rule.released = true;
          rule.left = 0;
          for (const resume of rule.waiting.splice(0)) resume();
        },
      };
    },
    close: async () => {
      for (const rule of rules) {
        rule.released = true;
        for (const resume of rule.waiting.splice(0)) resume();
      }
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
