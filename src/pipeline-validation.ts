import type { CdkPipelineProps } from './cdk-pipeline';
import { validateNoSuccessPeriod } from './monitoring/pipeline-alarms';

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
