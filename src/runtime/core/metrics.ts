/**
 * CloudWatch Embedded Metric Format: one JSON line per processed file on
 * stdout becomes metrics without any API call (none needed from a VPC).
 */
import { FileOutcome } from './outcome';
import { METRIC, METRIC_DIMENSION } from '../../shared/env';

export interface Metrics {
  record(outcome: FileOutcome): void;
  /** A prefix run (CLI `run --prefix`, a scheduled run) wrote its report. */
  recordReport?(): void;
}

/** The EMF document of one metric value. */
function emfLine(namespace: string, pipelineName: string, values: Record<string, [number, string]>, timestamp: number): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{
        Namespace: namespace,
        Dimensions: [[METRIC_DIMENSION]],
        Metrics: Object.entries(values).map(([Name, [, Unit]]) => ({ Name, Unit })),
      }],
    },
    [METRIC_DIMENSION]: pipelineName,
    ...Object.fromEntries(Object.entries(values).map(([name, [value]]) => [name, value])),
  };
}

export function emfDocument(namespace: string, pipelineName: string, o: FileOutcome, timestamp = Date.now()): Record<string, unknown> {
  const values: Record<string, [number, string]> = {
    [METRIC.FILES_SUCCEEDED]: [o.status === 'succeeded' ? 1 : 0, 'Count'],
    [METRIC.FILES_FAILED]: [o.status === 'failed' ? 1 : 0, 'Count'],
    [METRIC.DURATION_MS]: [o.durationMs, 'Milliseconds'],
  };
  if (o.status === 'succeeded') {
    const rows = o.rows ?? 0;
    values[METRIC.ROWS] = [rows, 'Count'];
    values[METRIC.ROWS_REJECTED] = [o.rowsRejected ?? 0, 'Count'];
    values[METRIC.ROWS_PER_SECOND] = [o.durationMs > 0 ? Math.round((rows * 1000) / o.durationMs) : rows, 'Count/Second'];
  }
  return emfLine(namespace, pipelineName, values, timestamp);
}

/**
 * Writes straight to stdout: the Lambda runtime's console prefixes lines with
 * a timestamp and request id, and CloudWatch only extracts bare JSON lines.
 */
export class EmfMetrics implements Metrics {
  constructor(
    private readonly namespace: string,
    private readonly pipelineName: string,
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {}

  record(outcome: FileOutcome): void {
    if (outcome.status === 'duplicate') return;
    this.write(JSON.stringify(emfDocument(this.namespace, this.pipelineName, outcome)));
  }

  recordReport(): void {
    this.write(JSON.stringify(emfLine(this.namespace, this.pipelineName, { [METRIC.REPORTS_WRITTEN]: [1, 'Count'] }, Date.now())));
  }
}
