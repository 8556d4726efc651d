/**
 * `--config <file.json>` and `--table/--column/...`: the table sink of the
 * CLI, in the same shape as `Sink.postgresTable()` options, checked by the
 * rules the construct and the loader use (src/shared/table-rules.ts) so a
 * configuration the CLI accepts is one the deployed pipeline accepts. Errors
 * name the option (`--column "a:int[3]": type ...`) or the JSON path in the
 * file (`orders.json: columns[3].type ...`) and the bad value.
 *
 * Kafka sinks come from `--kafka-brokers/--kafka-topic/...` (`KafkaFlags`)
 * or from `{"kind": "kafka", ...}` entries of the `--config` file, checked
 * by the runtime Kafka sink's own rules.
 */
import * as fs from 'fs';
import { UsageError } from './args';
import { jsonErrorLocation } from './json-position';
import type { KafkaSinkConfig } from '../../../shared/kafka-sink-config';
import { ReportSinkConfig, reportSinkConfigProblems } from '../../../shared/report-sink-config';
import { ColumnConfig, MAX_PARALLELISM, parallelismProblem, PostgresTableSinkConfig, SinkConfig } from '../../../shared/sink-config';
import { ConfigProblem, describeProblem, tableSinkProblems } from '../../../shared/table-rules';
import { kafkaSinkConfigProblems } from '../../kafka/settings';

/** The --kafka-* flags of `process`: a Kafka sink when --kafka-brokers or --kafka-topic is given. */
export interface KafkaFlags {
  readonly brokers?: string;
  readonly topic?: string;
  readonly keyColumn?: string;
  readonly atLeastOnce?: boolean;
  readonly auth?: string;
  readonly secretArn?: string;
  readonly caFile?: string;
  readonly region?: string;
  readonly checkpointEvery?: string;
}

export interface SinkFlags {
  readonly config?: string;
  readonly table?: string;
  readonly schema?: string;
  readonly columns?: readonly string[];
  readonly badRows?: string;
  readonly extraColumns?: string;
  readonly previousVersions?: string;
  readonly parallelism?: string;
  readonly kafka?: KafkaFlags;
}

/**
 * The sinks the flags describe, in order: those of --config or --table,
 * then the Kafka sink of the --kafka-* flags; none when no flag describes one.
 */
export function sinksFromFlags(flags: SinkFlags): SinkConfig[] {
  const kafka = flags.kafka ? kafkaSinkFromFlags(flags.kafka) : undefined;
  return [...tableSinksFromFlags(flags), ...(kafka ? [kafka] : [])];
}

function tableSinksFromFlags(flags: SinkFlags): SinkConfig[] {
  if (flags.config && flags.table) {
    throw new UsageError('--config and --table both describe the table: use one of them');
  }
  if (flags.config) return sinksFromConfigFile(flags.config);
  if (flags.table === undefined) {
    const stray = (['schema', 'columns', 'badRows', 'extraColumns', 'previousVersions', 'parallelism'] as const).filter((k) => flags[k] !== undefined && (k !== 'columns' || flags.columns!.length > 0));
    if (stray.length > 0) throw new UsageError(`--${stray.map(kebab).join(', --')} need --table`);
    return [];
  }
  if (!flags.columns || flags.columns.length === 0) {
    throw new UsageError('--table needs at least one --column name:type[:not-null]');
  }
  const columnFlags = flags.columns;
  return [checked({
    kind: 'postgresTable',
    schema: flags.schema ?? 'public',
    table: flags.table,
    columns: columnFlags.map(parseColumnFlag),
    badRows: (flags.badRows ?? 'FAIL_FILE') as PostgresTableSinkConfig['badRows'],
    extraColumns: (flags.extraColumns ?? 'IGNORE') as PostgresTableSinkConfig['extraColumns'],
    previousVersions: (flags.previousVersions ?? 'REPLACE') as PostgresTableSinkConfig['previousVersions'],
    ...(flags.parallelism !== undefined ? { parallelism: (/^\d+$/.test(flags.parallelism) ? Number(flags.parallelism) : flags.parallelism) as number } : {}),
  }, (p) => describeProblem(p, optionOf(p.path, columnFlags)), '')];
}

/** The option a configuration path came from: `columns[2].type` -> `--column "qty:int[3]": type`. */
function optionOf(path: string, columnFlags: readonly string[]): string {
  const column = /^columns\[(\d+)\](?:\.(\w+))?$/.exec(path);
  if (column) return `--column ${JSON.stringify(columnFlags[Number(column[1])])}${column[2] ? `: ${column[2]}` : ''}`;
  return `--${kebab(path)}`;
}

/** `amount:numeric(12,2)` or `id:bigint:not-null`; an empty name or type is left to the rules to name. */
function parseColumnFlag(flag: string): ColumnConfig {
  const first = flag.indexOf(':');
  if (first < 0) throw new UsageError(`--column ${JSON.stringify(flag)} must be name:type or name:type:not-null`);
  const name = flag.slice(0, first);
  let type = flag.slice(first + 1);
  let nullable = true;
  if (/:not-null$/i.test(type)) {
    nullable = false;
    type = type.replace(/:not-null$/i, '');
  }
  return { name, type, nullable };
}

function sinksFromConfigFile(file: string): SinkConfig[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`Cannot read --config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const at = jsonErrorLocation(text);
    throw new UsageError(`${file}: invalid JSON${at ? ` at line ${at.line}, column ${at.column}` : ''}: ${(err as Error).message.split('\n')[0]}`);
  }
  const wrapped = Array.isArray((parsed as { sinks?: unknown })?.sinks);
  const entries = wrapped ? (parsed as { sinks: unknown[] }).sinks : [parsed];
  return entries.map((entry, i) => {
    // JSON path of the entry's values: `columns[3].type` or `sinks[1].columns[3].type`.
    const prefix = wrapped ? `sinks[${i}].` : '';
    if (!isObject(entry)) {
      throw new UsageError(`${file}: ${wrapped ? `sinks[${i}] ` : ''}must be an object with table and columns`);
    }
    const e = entry;
    if (e.kind === 'kafka') return checkedKafka(e as unknown as KafkaSinkConfig, `${file}: ${wrapped ? `sinks[${i}]` : 'kafka sink'}`);
    if (e.kind === 'report') return checkedReport(e as unknown as ReportSinkConfig, `${file}: ${wrapped ? `sinks[${i}]` : 'report sink'}`);
    if (e.kind !== undefined && e.kind !== 'postgresTable') {
      throw new UsageError(`${file}: ${prefix}kind ${JSON.stringify(e.kind)} is not supported by the CLI (postgresTable, kafka or report)`);
    }
    const unknown = Object.keys(e).filter((k) => !TABLE_KEYS.includes(k)).map((k) => `${prefix}${k}`);
    if (Array.isArray(e.columns)) {
      e.columns.forEach((c, j) => {
        if (isObject(c)) unknown.push(...Object.keys(c).filter((k) => !COLUMN_KEYS.includes(k)).map((k) => `${prefix}columns[${j}].${k}`));
      });
    }
    if (unknown.length > 0) {
      throw new UsageError(`${file}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (a table has ${TABLE_KEYS.join(', ')}; a column has ${COLUMN_KEYS.join(', ')})`);
    }
    const columns = Array.isArray(e.columns)
      ? e.columns.map((c: unknown) => (isObject(c) ? { name: c.name, type: c.type, nullable: c.nullable ?? true } : c))
      : e.columns;
    return checked({
      kind: 'postgresTable',
      schema: (e.schema as string | undefined) ?? 'public',
      table: e.table as string,
      columns: columns as ColumnConfig[],
      badRows: (e.badRows as PostgresTableSinkConfig['badRows'] | undefined) ?? 'FAIL_FILE',
      extraColumns: (e.extraColumns as PostgresTableSinkConfig['extraColumns'] | undefined) ?? 'IGNORE',
      previousVersions: (e.previousVersions as PostgresTableSinkConfig['previousVersions'] | undefined) ?? 'REPLACE',
      ...(e.parallelism !== undefined ? { parallelism: e.parallelism as number } : {}),
    }, (p) => describeProblem(p, `${prefix}${p.path}`), `${file}: `);
  });
}

const TABLE_KEYS = ['kind', 'schema', 'table', 'columns', 'badRows', 'extraColumns', 'previousVersions', 'parallelism'];
const COLUMN_KEYS = ['name', 'type', 'nullable'];

function checkedKafka(config: KafkaSinkConfig, where: string): KafkaSinkConfig {
  const problems = kafkaSinkConfigProblems(config);
  if (problems.length > 0) throw new UsageError(`${where}: ${problems.join('; ')}`);
  return config;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checked(config: PostgresTableSinkConfig, describe: (p: ConfigProblem) => string, where: string): PostgresTableSinkConfig {
  const problems = tableSinkProblems(config);
  if (problems.length > 0) throw new UsageError(`${where}${problems.map(describe).join('; ')}`);
  if (parallelismProblem(config.parallelism)) {
    throw new UsageError(`${where}${describe({ path: 'parallelism', value: config.parallelism, reason: `must be a whole number from 1 to ${MAX_PARALLELISM} (connections per file)` })}`);
  }
  return config;
}

/**
 * The Kafka sink of the flags. Plaintext unless --kafka-auth says otherwise:
 * the CLI is for dry runs against a local broker (the sink still refuses
 * plaintext to Amazon MSK).
 */
function kafkaSinkFromFlags(flags: KafkaFlags): KafkaSinkConfig | undefined {
  const given = (Object.keys(flags) as (keyof KafkaFlags)[]).filter((k) => flags[k] !== undefined && flags[k] !== false);
  if (given.length === 0) return undefined;
  if (!flags.brokers || !flags.topic) {
    throw new UsageError(`${given.map((k) => `--kafka-${kebab(k)}`).join(', ')} need${given.length > 1 ? '' : 's'} --kafka-brokers host:port[,host:port...] and --kafka-topic`);
  }
  const mechanism = flags.auth ?? 'plaintext';
  let caPem: string | undefined;
  if (flags.caFile !== undefined) {
    try {
      caPem = fs.readFileSync(flags.caFile, 'utf8');
    } catch (err) {
      throw new UsageError(`Cannot read --kafka-ca-file ${flags.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const auth = {
    mechanism,
    ...(flags.secretArn !== undefined ? { secretArn: flags.secretArn } : {}),
    ...(caPem ? { caPem } : {}),
    ...(flags.region !== undefined ? { region: flags.region } : {}),
  };
  const config = {
    kind: 'kafka',
    topic: flags.topic,
    brokers: flags.brokers.split(',').map((b) => b.trim()).filter((b) => b !== ''),
    auth,
    key: flags.keyColumn !== undefined ? { column: flags.keyColumn } : { fileAndLine: true },
    exactlyOnce: !flags.atLeastOnce,
    ...(flags.checkpointEvery !== undefined ? { checkpointEvery: /^\d+$/.test(flags.checkpointEvery) ? Number(flags.checkpointEvery) : flags.checkpointEvery } : {}),
  } as unknown as KafkaSinkConfig;
  const flagOf: [RegExp, string][] = [
    [/^topic/, '--kafka-topic'], [/^brokers(\[\d+\])?/, '--kafka-brokers'], [/^auth\.mechanism/, '--kafka-auth'],
    [/^auth\.secretArn/, '--kafka-secret-arn'], [/^auth\.region/, '--kafka-region'], [/^key/, '--kafka-key-column'], [/^checkpointEvery/, '--kafka-checkpoint-every'],
  ];
  const problems = kafkaSinkConfigProblems(config).map((p) => flagOf.reduce((text, [path, flag]) => text.replace(path, flag), p));
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return config;
}

/**
 * A Kafka sink among the CLI's sinks: `SinkConfig` (src/shared/sink-config.ts)
 * does not list the Kafka shape yet; the sink factories of core/sinks.ts go
 * by `kind`.
 */
/** A report sink of the --config file, checked by the rules `Sink.report()` applies. */
function checkedReport(config: ReportSinkConfig, where: string): ReportSinkConfig {
  const problems = reportSinkConfigProblems(config);
  if (problems.length > 0) throw new UsageError(`${where}: ${problems.join('; ')}`);
  return config;
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
