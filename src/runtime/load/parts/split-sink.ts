/** Which sink a split file loads into: exactly one table sink, nothing else. */
import type { PostgresTableSinkConfig, SinkConfig } from '../../../shared/sink-config';
import { ConfigError } from '../../contract/config';

/** The one table sink of `configs`; `source` names where they came from (--config, PIPELINE_SINKS). */
export function splitTableSink(configs: readonly SinkConfig[], source: string): PostgresTableSinkConfig {
  const tables = configs.filter((c): c is PostgresTableSinkConfig => c.kind === 'postgresTable');
  const others = configs.filter((c) => c.kind !== 'postgresTable').map((c) => c.kind);
  if (tables.length !== 1 || others.length > 0) {
    throw new ConfigError(`--part splits a file across processes into one table sink only; ${source} describes `
      + `${tables.length} table sink(s)${others.length ? ` and ${others.join(', ')} sink(s), which cannot take a file in parts` : ''}`);
  }
  return tables[0];
}

/** A split file commits as a partition of its own: the table is created partitioned by `_file_id`, as with `parallelism` > 1. */
export function partitionedForParts(configs: readonly SinkConfig[]): SinkConfig[] {
  return configs.map((c) => (c.kind === 'postgresTable' && (c.parallelism ?? 1) < 2 ? { ...c, parallelism: 2 } : c));
}
