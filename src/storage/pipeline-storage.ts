import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BackupReplicationRole } from './backup-replication';
import { BACKUP_PREFIX } from '../shared/object-keys';

/**
 * The pipeline's buckets and how long backups are kept. `CdkPipelineProps`
 * takes these flat; `PipelineStorageProps` adds what only the standalone
 * construct needs.
 */
export interface PipelineStorageOptions {
  /**
   * Bring your own input bucket (where CSV files are uploaded).
   *
   * @default - a bucket is created
   */
  readonly inputBucket?: s3.IBucket;

  /**
   * Bring your own output bucket (results and rejected rows).
   *
   * @default - a bucket is created
   */
  readonly outputBucket?: s3.IBucket;

  /**
   * Bring your own backup bucket (copies of processed inputs).
   *
   * @default - a bucket is created
   */
  readonly backupBucket?: s3.IBucket;

  /**
   * How long backup copies are kept.
   *
   * @default Duration.days(365)
   */
  readonly backupRetention?: Duration;

  /**
   * Replicate the backup bucket the construct creates to this bucket,
   * typically in another region for disaster recovery (S3 Cross-Region
   * Replication). The destination must be versioned; when the backup bucket
   * is SSE-KMS encrypted (the default), import the destination with its
   * `encryptionKey`, which replicas are encrypted with. Costs: the
   * destination's storage, S3 replication requests, and inter-region data
   * transfer (about $0.02 per GB).
   *
   * @default - no replication
   */
  readonly backupReplicationBucket?: s3.IBucket;
}

/**
 * Properties of a {@link PipelineStorage}.
 */
export interface PipelineStorageProps extends PipelineStorageOptions {
  /**
   * KMS key for the buckets the construct creates (SSE-KMS with bucket keys).
   * The access-log bucket always uses SSE-S3, the only encryption S3 server
   * access logging supports.
   *
   * @default - SSE-S3 (Amazon S3 managed keys)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Age at which backup copies move to the Glacier Instant Retrieval storage class.
   * Must be shorter than `backupRetention`.
   *
   * @default Duration.days(30)
   */
  readonly backupTransitionAfter?: Duration;

  /**
   * How long noncurrent (overwritten or deleted) object versions are kept in
   * the buckets the construct creates.
   *
   * @default Duration.days(90)
   */
  readonly noncurrentVersionRetention?: Duration;

  /**
   * Removal policy of the buckets the construct creates. With DESTROY the
   * buckets must be empty to be deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The pipeline's buckets: input, output and backup, plus an access-log
 * bucket that receives their server access logs. Every bucket the construct
 * creates is encrypted, versioned, blocks all public access, denies
 * requests without TLS 1.2+, and enforces bucket-owner object ownership.
 */
export class PipelineStorage extends Construct {
  /** Where CSV files are uploaded. */
  public readonly inputBucket: s3.IBucket;
  /** Where `results/<key>.json` and `rejects/<key>.csv` are written. */
  public readonly outputBucket: s3.IBucket;
  /** Where inputs are copied under `backup/<UTC timestamp>/<key>`. */
  public readonly backupBucket: s3.IBucket;
  /** The role S3 replicates the backup bucket with, when `backupReplicationBucket` is set. */
  public readonly backupReplicationRole?: iam.IRole;
  /** Server access logs of the buckets the construct creates (undefined when all are brought). */
  public readonly accessLogBucket?: s3.Bucket;

  /**
   * Creates the pipeline's buckets (or takes those given in `props`).
   *
   * @param scope - the pipeline
   * @param id - scope-unique id
   * @param props - the storage settings; each has a default
   */
  constructor(scope: Construct, id: string, props: PipelineStorageProps = {}) {
    super(scope, id);
    // Deliver access logs through a bucket policy, not the legacy
    // LogDeliveryWrite ACL, whatever the app's feature flags say (ACLs stay disabled).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const retention = props.backupRetention ?? Duration.days(365);
    const transition = props.backupTransitionAfter ?? Duration.days(30);
    if (transition.toDays() >= retention.toDays()) {
      throw new Error(`backupTransitionAfter (${transition.toDays()} days) must be shorter than backupRetention (${retention.toDays()} days)`);
    }
    if (props.backupReplicationBucket && props.backupBucket) {
      throw new Error('backupReplicationBucket applies only to a backup bucket the construct creates: configure replication on your backupBucket, or remove it');
    }
    if (props.backupReplicationBucket && props.encryptionKey && !props.backupReplicationBucket.encryptionKey) {
      throw new Error('backupReplicationBucket needs its KMS key to receive SSE-KMS backups: import it with s3.Bucket.fromBucketAttributes({ bucketArn, region, encryptionKey })');
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const noncurrent = props.noncurrentVersionRetention ?? Duration.days(90);

    const needsLogs = !props.inputBucket || !props.outputBucket || !props.backupBucket;
    if (needsLogs) {
      this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        versioned: true,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removalPolicy,
        lifecycleRules: [{ expiration: retention, noncurrentVersionExpiration: noncurrent }],
      });
    }

    const make = (name: string, extra: Partial<s3.BucketProps> = {}): s3.Bucket => new s3.Bucket(this, `${name}Bucket`, {
      encryption: props.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: props.encryptionKey ? true : undefined,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: `${name.toLowerCase()}/`,
      removalPolicy,
      ...extra,
    });

    this.inputBucket = props.inputBucket ?? make('Input', {
      lifecycleRules: [{ noncurrentVersionExpiration: noncurrent, abortIncompleteMultipartUploadAfter: Duration.days(7) }],
    });
    this.outputBucket = props.outputBucket ?? make('Output', {
      lifecycleRules: [{ noncurrentVersionExpiration: noncurrent, abortIncompleteMultipartUploadAfter: Duration.days(7) }],
    });
    const replicationRole = props.backupReplicationBucket && !props.backupBucket ? new BackupReplicationRole(this, 'BackupReplicationRole') : undefined;
    this.backupReplicationRole = replicationRole;
    this.backupBucket = props.backupBucket ?? make('Backup', {
      lifecycleRules: [{
        id: 'backups',
        prefix: BACKUP_PREFIX,
        transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: transition }],
        expiration: retention,
        noncurrentVersionExpiration: noncurrent,
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      }],
      replicationRules: props.backupReplicationBucket ? [{
        destination: props.backupReplicationBucket,
        sseKmsEncryptedObjects: props.encryptionKey ? true : undefined,
        kmsKey: props.encryptionKey ? props.backupReplicationBucket.encryptionKey : undefined,
      }] : undefined,
      replicationRole,
    });
    replicationRole?.grantReplication(this.backupBucket, props.backupReplicationBucket!, props.encryptionKey);
  }
}
