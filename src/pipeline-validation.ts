import type { CdkPipelineProps } from './cdk-pipeline';
import type { IBoundProcessor } from './processor';

/**
 * Checks of `CdkPipelineProps` that no single part can make: props that
 * conflict with each other. Messages name the props to change.
 *
 * @internal
 */
export function validatePipelineProps(props: CdkPipelineProps): void {
  if (props.bastion === false && props.bastionInstanceType) {
    throw new Error('bastionInstanceType is set but bastion is false: remove one of them');
  }
  const thresholds = (['durationAlarmThreshold', 'failedFilesAlarmThreshold'] as const).filter((k) => props[k] !== undefined);
  if (props.alarms === false && thresholds.length > 0) {
    throw new Error(`${thresholds.join(' and ')} configure alarms, but alarms is false: remove ${thresholds.length > 1 ? 'them' : 'it'}, or remove alarms`);
  }
  const failed = props.failedFilesAlarmThreshold;
  if (failed !== undefined && (!Number.isInteger(failed) || failed < 0)) {
    throw new Error(`failedFilesAlarmThreshold must be a whole number >= 0 (got ${failed})`);
  }
}

/**
 * The deploy-time migration needs a Lambda function to invoke: refuse to
 * skip it silently.
 *
 * @internal
 */
export function assertMigrationPossible(migrateOnDeploy: boolean, processor: IBoundProcessor): void {
  if (migrateOnDeploy && !processor.migrationFunction) {
    throw new Error('migrateOnDeploy is true but the processor provides no migrationFunction to run at deploy time: '
      + 'set migrateOnDeploy: false (the tables are then created when the first file arrives), or use a processor that provides one');
  }
}
