import { IConstruct } from 'constructs';
import { applyAcknowledgments, NagAcknowledgment } from '../nag-acknowledgments';

/** The acknowledgments Kafka constructs applied, with the construct that applied them, by app. */
const APPLIED = new WeakMap<IConstruct, Array<{ owner: IConstruct; ack: NagAcknowledgment }>>();

/**
 * Applies acknowledgments of a Kafka construct (unless the tests turned
 * them off) and records them, under `owner`, for {@link kafkaNagAcknowledgments}.
 *
 * @internal
 */
export function acknowledgeForPipeline(owner: IConstruct, acks: NagAcknowledgment[]): void {
  applyAcknowledgments(owner, acks);
  const root = owner.node.root;
  APPLIED.set(root, [...(APPLIED.get(root) ?? []), ...acks.map((ack) => ({ owner, ack }))]);
}

/**
 * Every acknowledgment the Kafka sinks and clusters of the pipeline `scope`
 * applied (once its sinks are bound and granted), for the pipeline's
 * `nagAcknowledgments`; this includes those of stack-level singletons the
 * pipeline's clusters use.
 *
 * @internal
 */
export function kafkaNagAcknowledgments(scope: IConstruct): NagAcknowledgment[] {
  const path = scope.node.path;
  return (APPLIED.get(scope.node.root) ?? [])
    .filter(({ owner }) => owner === scope || owner.node.path.startsWith(`${path}/`))
    .map(({ ack }) => ack);
}
