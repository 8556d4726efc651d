import type { Construct } from 'constructs';
import type { KafkaSinkOptions } from './kafka-sink';
import type { SinkBindOptions, SinkConfig } from './sink';
import type { SinkBinding } from './sink-binding';

export class KafkaSinkBinding implements SinkBinding {
  constructor(private readonly options: KafkaSinkOptions) {}

  public bind(_scope: Construct, _options: SinkBindOptions): SinkConfig {
    throw new Error(`Sink.kafka(): not implemented yet (topic ${this.options.topic})`);
  }
}
