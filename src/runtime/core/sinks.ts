/**
 * Turns sink configurations (PIPELINE_SINKS, CLI --config) into RowSinks. A
 * new kind of sink registers one factory here; the processor only sees
 * RowSink (src/runtime/contract/sink-api.ts).
 */
import type { KafkaSinkConfig } from '../../shared/kafka-sink-config';
import type { ReportSinkConfig } from '../../shared/report-sink-config';
import { PostgresTableSinkConfig, SinkConfig } from '../../shared/sink-config';
import { ConfigError } from '../contract/config';
import { errorMessage } from '../contract/logger';
import { RowSink } from '../contract/sink-api';
import { createKafkaSink } from '../kafka';
import { createPostgresTableSink, tableMigrationSql } from '../load';
import { createReportSink } from '../report';

export type SinkFactory = (config: SinkConfig) => RowSink;

/** Sink kinds built into the processor: one line per kind, `[kind, (config) => new XSink(config)]`. */
const factories = new Map<string, SinkFactory>([
  ['postgresTable', (config) => createPostgresTableSink(config as PostgresTableSinkConfig)],
  ['report', (config) => createReportSink(config as ReportSinkConfig)],
  ['kafka', (config) => createKafkaSink(config as KafkaSinkConfig)],
]);

/** Also lets tests plug in a sink of their own kind. */
export function registerSinkFactory(kind: string, factory: SinkFactory): void {
  factories.set(kind, factory);
}

/**
 * `source` names where the configurations came from (e.g. `PIPELINE_SINKS`);
 * given, every error names it and the sink's index, as `PIPELINE_SINKS[1]`.
 */
export function createSinks(configs: readonly SinkConfig[], source?: string): RowSink[] {
  return configs.map((config, i) => {
    const where = source ? `${source}[${i}]` : `Sink ${i}`;
    const factory = factories.get(config.kind);
    if (!factory) {
      throw new ConfigError(`${where} has kind "${config.kind}", which this processor build does not support (available: ${[...factories.keys()].join(', ') || 'none'})`);
    }
    if (!source) return factory(config);
    try {
      return factory(config);
    } catch (err) {
      throw new ConfigError(`${where}: ${errorMessage(err)}`);
    }
  });
}

/** Sink kinds that write into the PostgreSQL database, in the ledger's transaction. */
const IN_POSTGRES: ReadonlySet<string> = new Set(['postgresTable']);

/**
 * Refuses sinks that write into PostgreSQL when the ledger is elsewhere, naming
 * each (`PIPELINE_SINKS[0] is a postgresTable sink ...`).
 */
export function assertSinksFitLedger(configs: readonly SinkConfig[], ledgerInPostgres: boolean, source: string, ledger: string): void {
  if (ledgerInPostgres) return;
  const misfits = configs.map((c, i) => ({ c, i })).filter(({ c }) => IN_POSTGRES.has(c.kind));
  if (misfits.length === 0) return;
  throw new ConfigError(misfits.map(({ c, i }) => `${source}[${i}] is a ${c.kind} sink, which writes in the PostgreSQL ledger's transaction; `
    + `this processor's ledger is ${ledger}`).join('; ') + ' (use Ledger.postgres(), or sinks outside the database)');
}

/** DDL the sinks need before their first load (their target tables), in order. */
export function sinkSchemaStatements(configs: readonly SinkConfig[]): string[] {
  return configs.flatMap((config) => (config.kind === 'postgresTable' ? tableMigrationSql(config) : []));
}
