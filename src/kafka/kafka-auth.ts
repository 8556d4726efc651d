import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** How the processor authenticates to the Kafka brokers (the runtime's names). */
export enum KafkaAuthMechanism {
  /** Amazon MSK IAM: SASL/OAUTHBEARER over TLS, tokens signed with the processor's role. */
  IAM = 'iam',
  /** SASL/SCRAM-SHA-512 over TLS, with a user name and password from Secrets Manager. */
  SCRAM_SHA_512 = 'scram-sha-512',
  /** Mutual TLS: a client certificate and key from Secrets Manager. */
  MUTUAL_TLS = 'mtls',
  /** TLS without client authentication (the brokers' certificate is checked). */
  TLS = 'tls',
  /** No TLS, no authentication. */
  PLAINTEXT = 'plaintext',
}

/** TLS settings shared by the TLS-based mechanisms. */
export interface KafkaTlsOptions {
  /**
   * PEM bundle of the certificate authorities that signed the brokers'
   * certificates, for brokers whose certificates a public CA did not sign.
   *
   * @default - Node.js's built-in public CAs (Amazon MSK's broker certificates are signed by one)
   */
  readonly caPem?: string;
}

/**
 * How the processor authenticates to the brokers. Pick with the static
 * factories; `KafkaAuth.iam()` is the default on Amazon MSK.
 */
export abstract class KafkaAuth {
  /**
   * Amazon MSK IAM access control: the processor signs SASL/OAUTHBEARER
   * tokens with its own role, which is granted exactly this cluster, the
   * sink's topics, its checkpoint group and (exactly once) its
   * transactional ids. Needs the cluster's ARN. Port 9098.
   */
  public static iam(): KafkaAuth {
    return new Auth(KafkaAuthMechanism.IAM);
  }

  /**
   * SASL/SCRAM-SHA-512 over TLS with the `{ "username", "password" }` JSON
   * of `secret`. The processor may read this secret only (and decrypt it with
   * its key). On a cluster the construct creates, the secret is associated
   * with the cluster; Amazon MSK then requires its name to start with
   * `AmazonMSK_` and a customer-managed KMS key. Port 9096 on MSK.
   *
   * @param secret - the SCRAM user, as `{ "username", "password" }` JSON
   * @param options - how the brokers' certificate is checked; by default against the public CAs
   */
  public static scram(secret: secretsmanager.ISecret, options: KafkaTlsOptions = {}): KafkaAuth {
    return new Auth(KafkaAuthMechanism.SCRAM_SHA_512, secret, options.caPem);
  }

  /**
   * Mutual TLS with the client certificate and private key (PEM) in the
   * `{ "certificate", "privateKey" }` JSON of `secret`. On a cluster the
   * construct creates, `certificateAuthorityArns` of the cluster names the
   * ACM Private CA that signed the certificate. Port 9094 on MSK.
   *
   * @param secret - the client certificate and key, as `{ "certificate", "privateKey" }` JSON
   * @param options - how the brokers' certificate is checked; by default against the public CAs
   */
  public static mutualTls(secret: secretsmanager.ISecret, options: KafkaTlsOptions = {}): KafkaAuth {
    return new Auth(KafkaAuthMechanism.MUTUAL_TLS, secret, options.caPem);
  }

  /**
   * TLS without client authentication: traffic is encrypted and the brokers'
   * certificate is checked, but anyone who reaches the brokers may write.
   * Port 9094 on MSK.
   *
   * @param options - how the brokers' certificate is checked; by default against the public CAs
   */
  public static tls(options: KafkaTlsOptions = {}): KafkaAuth {
    return new Auth(KafkaAuthMechanism.TLS, undefined, options.caPem);
  }

  /**
   * No encryption and no authentication. Only for brokers you bring that
   * offer nothing else (a local or test broker); refused for Amazon MSK,
   * whose clusters the construct configures for TLS only.
   */
  public static plaintext(): KafkaAuth {
    return new Auth(KafkaAuthMechanism.PLAINTEXT);
  }

  /** The mechanism. */
  public abstract readonly mechanism: KafkaAuthMechanism;
  /**
   * The Secrets Manager secret of the credentials.
   *
   * @default - none (IAM, TLS and plaintext need no secret)
   */
  public abstract readonly secret?: secretsmanager.ISecret;
  /**
   * PEM bundle of the brokers' certificate authorities.
   *
   * @default - Node.js's built-in public CAs
   */
  public abstract readonly caPem?: string;
}

class Auth extends KafkaAuth {
  constructor(
    public readonly mechanism: KafkaAuthMechanism,
    public readonly secret?: secretsmanager.ISecret,
    public readonly caPem?: string,
  ) {
    super();
  }
}

/**
 * The broker port Amazon MSK serves a mechanism on.
 *
 * @internal
 */
export function mskPort(mechanism: KafkaAuthMechanism): number {
  switch (mechanism) {
    case KafkaAuthMechanism.IAM: return 9098;
    case KafkaAuthMechanism.SCRAM_SHA_512: return 9096;
    case KafkaAuthMechanism.MUTUAL_TLS:
    case KafkaAuthMechanism.TLS: return 9094;
    case KafkaAuthMechanism.PLAINTEXT: return 9092;
  }
}

/**
 * The field of `kafka:GetBootstrapBrokers`'s response that lists the
 * brokers of a mechanism.
 *
 * @internal
 */
export function bootstrapBrokersField(mechanism: KafkaAuthMechanism): string {
  switch (mechanism) {
    case KafkaAuthMechanism.IAM: return 'BootstrapBrokerStringSaslIam';
    case KafkaAuthMechanism.SCRAM_SHA_512: return 'BootstrapBrokerStringSaslScram';
    case KafkaAuthMechanism.PLAINTEXT: return 'BootstrapBrokerString';
    default: return 'BootstrapBrokerStringTls';
  }
}
