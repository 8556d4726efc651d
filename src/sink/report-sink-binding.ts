import type { Construct } from 'constructs';
import type { ReportSinkOptions } from './report-sink';
import type { SinkBindOptions, SinkConfig } from './sink';
import type { SinkBinding } from './sink-binding';
import { ReportSinkConfig, reportSinkConfigProblems } from '../shared/report-sink-config';

/**
 * `Sink.report()`: checks the options when the sink is declared, with the
 * rules the runtime applies (src/shared/report-sink-config.ts), and binds to
 * the report sink's JSON. It writes nothing outside the output bucket the
 * processor already writes, so it needs no database and no grants.
 */
export class ReportSinkBinding implements SinkBinding {
  private readonly config: ReportSinkConfig;

  constructor(options: ReportSinkOptions) {
    const measures: unknown = options.measures;
    this.config = {
      kind: 'report',
      groupBy: options.groupBy ?? [],
      measures: Array.isArray(measures)
        ? measures.map((m) => ({ kind: m?.kind, ...(m?.column !== undefined ? { column: m.column } : {}), name: m?.name }))
        : measures as never,
      badRows: options.badRows ?? 'FAIL_FILE',
      ...(options.maxGroups !== undefined ? { maxGroups: options.maxGroups } : {}),
    };
    const problems = reportSinkConfigProblems(this.config);
    if (problems.length > 0) throw new Error(`Sink.report(): ${problems.join('; ')}`);
  }

  public bind(_scope: Construct, _options: SinkBindOptions): SinkConfig {
    return { kind: 'report', json: JSON.stringify(this.config), usesDatabase: false };
  }
}
