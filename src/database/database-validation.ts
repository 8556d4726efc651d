import { Token } from 'aws-cdk-lib';
import type { PipelineDatabaseProps } from './pipeline-database';

/** Rejects props that conflict or that RDS would refuse, in the user's terms. @internal */
export function validateDatabaseProps(props: PipelineDatabaseProps): void {
  if (props.instance && !props.secret) {
    throw new Error('instance requires secret: pass the Secrets Manager secret that holds its credentials');
  }
  if (props.secret && !props.instance) {
    throw new Error('secret is only used with instance: remove it, or also pass the instance it belongs to');
  }
  if (props.instance) {
    const ignored = (['engineVersion', 'instanceType', 'multiAz', 'allocatedStorage', 'maxAllocatedStorage', 'backupRetention',
      'deletionProtection', 'storageEncryptionKey', 'rotationVpc', 'secretEncryptionKey', 'monitoringInterval', 'backupPlan',
      'backupPlanRetention', 'backupPlanKey'] as const).filter((k) => props[k] !== undefined);
    if (ignored.length > 0) {
      throw new Error(`${ignored.join(', ')} configure a database the construct creates and conflict with instance: remove them`);
    }
  }
  const interval = props.monitoringInterval?.toSeconds();
  if (interval !== undefined && ![0, 1, 5, 10, 15, 30, 60].includes(interval)) {
    throw new Error(`monitoringInterval must be 0 (off), 1, 5, 10, 15, 30 or 60 seconds (got ${interval})`);
  }
  if (props.backupPlanRetention && props.backupPlanRetention.toDays() < 1) {
    throw new Error(`backupPlanRetention must be at least 1 day (got ${props.backupPlanRetention.toHumanString()})`);
  }
  if (props.backupRetention && props.backupRetention.toDays() < 7) {
    throw new Error(`backupRetention must be at least 7 days (got ${props.backupRetention.toDays()})`);
  }
  const major = props.engineVersion ? Number(props.engineVersion.postgresMajorVersion) : 17;
  if (major < 16) {
    throw new Error(`engineVersion must be PostgreSQL 16 or newer (got ${props.engineVersion!.postgresFullVersion})`);
  }
  if (props.port !== undefined && (!Number.isInteger(props.port) || props.port < 1150 || props.port > 65535)) {
    throw new Error(`port must be a whole number between 1150 and 65535 (got ${props.port})`);
  }
  validateDatabaseName(props.databaseName, !props.instance);
  if (props.allocatedStorage !== undefined && props.maxAllocatedStorage !== undefined && props.maxAllocatedStorage < props.allocatedStorage) {
    throw new Error(`maxAllocatedStorage (${props.maxAllocatedStorage}) must be >= allocatedStorage (${props.allocatedStorage})`);
  }
}

/**
 * PostgreSQL's rules for an unquoted identifier (at most 63 bytes, letters,
 * digits, `_` and `$`, not starting with a digit or `$`); RDS is stricter for
 * the database it creates: a letter first, no `$`.
 */
function validateDatabaseName(name: string | undefined, created: boolean): void {
  if (name === undefined || Token.isUnresolved(name)) return;
  const rule = created ? /^[A-Za-z][A-Za-z0-9_]{0,62}$/ : /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
  if (!rule.test(name)) {
    throw new Error(created
      ? `databaseName must be 1-63 characters, start with a letter and contain only letters, digits and underscores (got '${name}')`
      : `databaseName must be a PostgreSQL identifier: 1-63 characters, letters, digits, underscores or $, not starting with a digit or $ (got '${name}')`);
  }
}
