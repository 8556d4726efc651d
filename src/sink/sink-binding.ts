/**
 * What a sink kind defined in its own module implements (the Kafka and
 * report sinks); `Sink`'s static factories wrap it. Those modules import
 * only types from ./sink.ts, so the factories make no import cycle. Not
 * exported from the package.
 */
import type { Construct } from 'constructs';
import type { SinkBindOptions, SinkConfig, SinkProcessorAccess } from './sink';

export interface SinkBinding {
  bind(scope: Construct, options: SinkBindOptions): SinkConfig;
  grantProcessor?(scope: Construct, processor: SinkProcessorAccess): void;
}
