import type { CdkPipelineProps } from './cdk-pipeline-props';
import { validateNoSuccessPeriod } from './monitoring/pipeline-alarms';
import { BastionPlacement } from './network/pipeline-bastion';
import type { SinkConfig } from './sink';

/** Props that configure the database or its network: refused when the pipeline has none. */
const DATABASE_PROPS = [
  'databaseInstance', 'databaseSecret', 'databaseName', 'databaseInstanceType', 'databaseEngineVersion', 'multiAz',
  'allocatedStorage', 'deletionProtection', 'databaseRemovalPolicy', 'databaseMonitoringInterval', 'databaseBackupPlan',
  'databaseBackupPlanRetention', 'databaseVpc', 'databaseCidr',
] as const;

/**
 * Checks the ledger against the sinks and the props: a sink that writes to
 * PostgreSQL needs `Ledger.postgres()`, and a pipeline without a database
 * takes no database, bastion or migration props.
 *
 * @internal
 */
export function validateLedgerProps(props: CdkPipelineProps, ledgerInDatabase: boolean, sinks: readonly SinkConfig[]): void {
  if (ledgerInDatabase) return;
  const needDatabase = sinks.map((s, i) => ({ s, i })).filter(({ s }) => s.usesDatabase);
  if (needDatabase.length > 0) {
    throw new Error(`${needDatabase.map(({ s, i }) => `sinks[${i}] (${s.kind})`).join(', ')} writes into the PostgreSQL database, in the `
      + 'transaction of the file\'s record, so it needs ledger: Ledger.postgres() (the default); with Ledger.dynamoDb() use sinks outside the '
      + 'database (Sink.report(), Sink.kafka())');
  }
  const set: string[] = DATABASE_PROPS.filter((k) => props[k] !== undefined);
  // `false` says what a pipeline without a database does anyway.
  if (props.migrateOnDeploy) set.push('migrateOnDeploy');
  if (set.length > 0) {
    throw new Error(`${set.join(', ')} ${set.length > 1 ? 'configure' : 'configures'} the database, but with ledger: Ledger.dynamoDb() and no `
      + 'Sink.postgresTable() the pipeline has no database: remove ' + (set.length > 1 ? 'them' : 'it') + ', or use Ledger.postgres()');
  }
  const bastionProps = (['bastionInstanceType', 'bastionPlacement', 'bastionSshCidr', 'bastionKeyPair'] as const).filter((k) => props[k] !== undefined);
  if (bastionProps.length > 0 && props.bastion !== true) {
    throw new Error(`${bastionProps.join(', ')} ${bastionProps.length > 1 ? 'configure' : 'configures'} the bastion, which a pipeline without a `
      + 'database has only when asked for: set bastion: true (e.g. to reach Kafka brokers in the VPC), or remove '
      + (bastionProps.length > 1 ? 'them' : 'it'));
  }
}

/**
 * Checks of `CdkPipelineProps` that no single part can make: props that
 * conflict with each other. Messages name the props to change.
 *
 * @internal
 */
export function validatePipelineProps(props: CdkPipelineProps): void {
  const bastionProps = (['bastionInstanceType', 'bastionPlacement', 'bastionSshCidr', 'bastionKeyPair'] as const).filter((k) => props[k] !== undefined);
  if (props.bastion === false && bastionProps.length > 0) {
    throw new Error(`${bastionProps.join(', ')} ${bastionProps.length > 1 ? 'are' : 'is'} set but bastion is false: remove one of them`);
  }
  if (props.bastionPlacement === BastionPlacement.PUBLIC && !props.singleVpc) {
    // The peering routes join the processing VPC's private subnets to the database subnets, not its public ones.
    throw new Error('bastionPlacement: BastionPlacement.PUBLIC needs singleVpc: true: with two peered VPCs a bastion in a public subnet '
      + 'has no route to the database; keep BastionPlacement.PRIVATE (Session Manager, or SSH from bastionSshCidr over a VPN), or set singleVpc');
  }
  const thresholds = (['durationAlarmThreshold', 'failedFilesAlarmThreshold', 'noSuccessAlarmPeriod'] as const).filter((k) => props[k] !== undefined);
  if (props.alarms === false && thresholds.length > 0) {
    throw new Error(`${thresholds.join(' and ')} configure alarms, but alarms is false: remove ${thresholds.length > 1 ? 'them' : 'it'}, or remove alarms`);
  }
  const failed = props.failedFilesAlarmThreshold;
  if (failed !== undefined && (!Number.isInteger(failed) || failed < 0)) {
    throw new Error(`failedFilesAlarmThreshold must be a whole number >= 0 (got ${failed})`);
  }
  validateNoSuccessPeriod(props.noSuccessAlarmPeriod);
}
