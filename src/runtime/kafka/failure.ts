/**
 * Errors of the Kafka client, classified by what the sink does about them.
 * The client module (./client.ts) turns every error of the library into a
 * `KafkaFailure`; the sink only looks at `kind`.
 */

/** What the sink does about a failure (see each member). */
export type KafkaFailureKind =
  /** Network trouble, a leader election, a coordinator loading: worth another attempt. */
  | 'retriable'
  /**
   * The broker lost track of the idempotent producer's sequence
   * (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID, DUPLICATE_SEQUENCE_NUMBER):
   * fatal to this producer. The sink makes a new one and resumes from its last
   * committed checkpoint, never by sending on.
   */
  | 'producer-state'
  /** A newer producer with the same transactional id exists: this process is the zombie and stops. */
  | 'fenced'
  /** Wrong credentials, a certificate the client refuses, or an ACL that denies: not retried. */
  | 'auth'
  | 'topic-missing'
  | 'too-large'
  | 'fatal';

/** Kafka error codes kafkajs does not name (it reports them as UNKNOWN). */
const UNNAMED_CODES: Record<number, string> = { 90: 'PRODUCER_FENCED', 59: 'UNKNOWN_PRODUCER_ID' };

const PRODUCER_STATE = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'DUPLICATE_SEQUENCE_NUMBER', 'INVALID_TXN_STATE']);
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_NOT_FOUND']);
const AUTH = new Set([
  'SASL_AUTHENTICATION_FAILED', 'TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'ILLEGAL_SASL_STATE', 'UNSUPPORTED_SASL_MECHANISM',
]);
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
/** Node TLS errors of a certificate the client does not trust or that names another host. */
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|EPROTO/;

/** A Kafka operation that failed: `message` says what, on which brokers, and why. */
export class KafkaFailure extends Error {
  constructor(
    message: string,
    public readonly kind: KafkaFailureKind,
    /** The Kafka protocol error (e.g. `MESSAGE_TOO_LARGE`), when the broker sent one. */
    public readonly kafkaType?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KafkaFailure';
  }
}

interface ErrorLike { name?: string; message?: string; type?: string; code?: unknown; retriable?: boolean; cause?: unknown; originalError?: unknown }

/** The error and the errors it wraps, outermost first. */
function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let e = err as ErrorLike | undefined;
  while (e && typeof e === 'object' && out.length < 10 && !out.includes(e)) {
    out.push(e);
    e = (e.cause ?? e.originalError) as ErrorLike | undefined;
  }
  return out;
}

function protocolType(e: ErrorLike): string | undefined {
  if (typeof e.code === 'number' && UNNAMED_CODES[e.code] && (e.type === undefined || e.type === 'UNKNOWN')) return UNNAMED_CODES[e.code];
  return typeof e.type === 'string' && e.type !== 'UNKNOWN' ? e.type : undefined;
}

function kindOf(errors: ErrorLike[], type: string | undefined): KafkaFailureKind {
  if (type !== undefined) {
    if (PRODUCER_STATE.has(type)) return 'producer-state';
    if (FENCED.has(type)) return 'fenced';
    if (AUTH.has(type)) return 'auth';
    if (TOO_LARGE.has(type)) return 'too-large';
    if (type === 'UNKNOWN_TOPIC_OR_PARTITION') return 'topic-missing';
  }
  if (errors.some((e) => e.name === 'KafkaJSSASLAuthenticationError')) return 'auth';
  if (errors.some((e) => TLS_CODES.test(String(e.code ?? '')) || /certificate|self[- ]signed|handshake/i.test(e.message ?? ''))) return 'auth';
  if (errors.some((e) => /fenced/i.test(e.message ?? ''))) return 'fenced';
  if (type !== undefined) return errors.some((e) => protocolType(e) === type && e.retriable) ? 'retriable' : 'fatal';
  // No protocol error: connection refused or closed, timeouts, no broker available, retries exhausted on those.
  const innermost = errors[errors.length - 1];
  return innermost?.retriable === false && innermost.name !== 'KafkaJSNumberOfRetriesExceeded' && innermost.name !== 'KafkaJSNonRetriableError'
    ? 'fatal' : 'retriable';
}

/** The failure of `what` (e.g. `sending 500 messages to topic orders`) on `brokers`, from a client error. */
export function classifyKafkaError(err: unknown, what: string, brokers: string): KafkaFailure {
  if (err instanceof KafkaFailure) return err;
  const errors = chain(err);
  const type = errors.map(protocolType).find((t) => t !== undefined);
  const kind = kindOf(errors, type);
  const reasons = [...new Set(errors.map((e) => e.message).filter((m): m is string => !!m))];
  const reason = reasons.length > 0 ? reasons.join(': ') : String(err);
  return new KafkaFailure(`Kafka ${brokers}: ${what} failed${type ? ` (${type})` : ''}: ${reason}`, kind, type, { cause: err });
}
