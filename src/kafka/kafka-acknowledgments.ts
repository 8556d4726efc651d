import { IConstruct } from 'constructs';
import { applyAcknowledgments, NagAcknowledgment } from '../nag-acknowledgments';

/** The acknowledgments the Kafka sinks of each pipeline applied, by pipeline. */
const BY_PIPELINE = new WeakMap<IConstruct, NagAcknowledgment[]>();

/**
 * Applies acknowledgments of a Kafka sink of the pipeline `scope` (unless
 * the tests turned them off) and records them for
 * {@link kafkaNagAcknowledgments}.
 *
 * @internal
 */
export function acknowledgeForPipeline(scope: IConstruct, acks: NagAcknowledgment[]): void {
  applyAcknowledgments(scope, acks);
  BY_PIPELINE.set(scope, [...(BY_PIPELINE.get(scope) ?? []), ...acks]);
}

/**
 * Every acknowledgment the Kafka sinks of the pipeline `scope` applied
 * (after the sinks are bound and granted), for the pipeline's
 * `nagAcknowledgments`.
 *
 * @internal
 */
export function kafkaNagAcknowledgments(scope: IConstruct): NagAcknowledgment[] {
  return [...(BY_PIPELINE.get(scope) ?? [])];
}
