import type { Construct } from 'constructs';
import type { ReportSinkOptions } from './report-sink';
import type { SinkBindOptions, SinkConfig } from './sink';
import type { SinkBinding } from './sink-binding';

export class ReportSinkBinding implements SinkBinding {
  constructor(private readonly options: ReportSinkOptions) {}

  public bind(_scope: Construct, _options: SinkBindOptions): SinkConfig {
    throw new Error(`Sink.report(): not implemented yet (${this.options.groupBy?.length ?? 0} group columns)`);
  }
}
