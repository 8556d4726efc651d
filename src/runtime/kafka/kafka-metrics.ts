/**
 * The Kafka sink's metrics (rows sent, send latency, send errors, producer
 * retries) as CloudWatch Embedded Metric Format lines, the format of
 * ../core/metrics.ts: one JSON line per committed batch of rows (a Kafka
 * transaction, or a checkpoint at least once) and one per retry or failure,
 * with the pipeline as the only dimension and the topic as a property.
 */
import { DEFAULT_METRICS_NAMESPACE, ENV, METRIC, METRIC_DIMENSION } from '../../shared/env';

/** Where the Kafka sink's EMF lines go and what they are filed under. */
export interface KafkaMetricsOptions {
  /** Default `$PIPELINE_METRICS_NAMESPACE`, else `CdkDataPipeline`. */
  readonly namespace?: string;
  /** Default `$PIPELINE_NAME`, else `local`. */
  readonly pipelineName?: string;
  /**
   * Where the lines go; default stderr (stdout is the CLI's result; in
   * Lambda and containers both reach CloudWatch Logs, which extracts EMF
   * from either).
   */
  readonly write?: (line: string) => void;
}

/** At most this many latency samples per line (CloudWatch takes up to 100 values per metric). */
const MAX_SAMPLES = 100;

/** The Kafka sink's metrics of one topic. */
export class KafkaMetrics {
  private readonly namespace: string;
  private readonly pipelineName: string;
  private readonly write: (line: string) => void;

  constructor(private readonly topic: string, o: KafkaMetricsOptions = {}) {
    this.namespace = o.namespace ?? process.env[ENV.METRICS_NAMESPACE] ?? DEFAULT_METRICS_NAMESPACE;
    this.pipelineName = o.pipelineName ?? process.env[ENV.PIPELINE_NAME] ?? 'local';
    this.write = o.write ?? ((line) => process.stderr.write(line + '\n'));
  }

  /** Rows committed (acknowledged and, exactly once, in a committed transaction), with the latency of each request that carried them. */
  sent(rows: number, latenciesMs: readonly number[]): void {
    const samples = latenciesMs.length > MAX_SAMPLES ? sample(latenciesMs) : latenciesMs;
    this.emit({ [METRIC.KAFKA_ROWS_SENT]: [rows, 'Count'], [METRIC.KAFKA_SEND_LATENCY_MS]: [samples.map(round), 'Milliseconds'] });
  }

  /** An attempt failed with an error worth another. */
  retried(): void {
    this.emit({ [METRIC.KAFKA_PRODUCER_RETRIES]: [1, 'Count'] });
  }

  /** Sending failed for good (no attempt left, or an error no retry fixes). */
  failed(): void {
    this.emit({ [METRIC.KAFKA_SEND_ERRORS]: [1, 'Count'] });
  }

  private emit(values: Record<string, [number | number[], string]>): void {
    this.write(JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [{
          Namespace: this.namespace,
          Dimensions: [[METRIC_DIMENSION]],
          Metrics: Object.entries(values).map(([Name, [, Unit]]) => ({ Name, Unit })),
        }],
      },
      [METRIC_DIMENSION]: this.pipelineName,
      Topic: this.topic,
      ...Object.fromEntries(Object.entries(values).map(([name, [value]]) => [name, value])),
    }));
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Evenly spaced samples, so a long transaction's line stays within CloudWatch's limit. */
function sample(values: readonly number[]): number[] {
  const step = values.length / MAX_SAMPLES;
  return Array.from({ length: MAX_SAMPLES }, (_, i) => values[Math.floor(i * step)]);
}
