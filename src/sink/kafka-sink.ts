/** Public options of `Sink.kafka()` (the binding is ./kafka-sink-binding.ts). */

/** Options of `Sink.kafka()`. */
export interface KafkaSinkOptions {
  /** Topic the rows are sent to. */
  readonly topic: string;
}
