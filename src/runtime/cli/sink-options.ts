/**
 * `--config <file.json>` and `--table/--column/...`: the table sink of the
 * CLI, in the same shape as `Sink.postgresTable()` options, checked by the
 * loader's own validator so a configuration the CLI accepts is one the
 * deployed pipeline accepts.
 */
import * as fs from 'fs';
import { UsageError } from './args';
import { jsonErrorLocation } from './json-position';
import { ColumnConfig, PostgresTableSinkConfig, SinkConfig } from '../../shared/sink-config';
import { tableSinkConfigProblems } from '../load/validate-config';

export interface SinkFlags {
  readonly config?: string;
  readonly table?: string;
  readonly schema?: string;
  readonly columns?: readonly string[];
  readonly badRows?: string;
  readonly extraColumns?: string;
}

/** The sinks the flags describe; none when neither --config nor --table is given. */
export function sinksFromFlags(flags: SinkFlags): SinkConfig[] {
  if (flags.config && flags.table) {
    throw new UsageError('--config and --table both describe the table: use one of them');
  }
  if (flags.config) return sinksFromConfigFile(flags.config);
  if (!flags.table) {
    const stray = (['schema', 'columns', 'badRows', 'extraColumns'] as const).filter((k) => flags[k] !== undefined && (k !== 'columns' || flags.columns!.length > 0));
    if (stray.length > 0) throw new UsageError(`--${stray.map(kebab).join(', --')} need --table`);
    return [];
  }
  if (!flags.columns || flags.columns.length === 0) {
    throw new UsageError('--table needs at least one --column name:type[:not-null]');
  }
  return [checked({
    kind: 'postgresTable',
    schema: flags.schema ?? 'public',
    table: flags.table,
    columns: flags.columns.map(parseColumnFlag),
    badRows: (flags.badRows ?? 'FAIL_FILE') as PostgresTableSinkConfig['badRows'],
    extraColumns: (flags.extraColumns ?? 'IGNORE') as PostgresTableSinkConfig['extraColumns'],
  }, 'the table options')];
}

/** `amount:numeric(12,2)` or `id:bigint:not-null`. */
function parseColumnFlag(flag: string): ColumnConfig {
  const first = flag.indexOf(':');
  if (first <= 0) throw new UsageError(`--column "${flag}" must be name:type or name:type:not-null`);
  const name = flag.slice(0, first);
  let type = flag.slice(first + 1);
  let nullable = true;
  if (/:not-null$/i.test(type)) {
    nullable = false;
    type = type.replace(/:not-null$/i, '');
  }
  if (!type) throw new UsageError(`--column "${flag}" has no type`);
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
  const entries = Array.isArray((parsed as { sinks?: unknown })?.sinks) ? (parsed as { sinks: unknown[] }).sinks : [parsed];
  return entries.map((entry, i) => {
    const where = entries.length > 1 || entry !== parsed ? `${file}: sinks[${i}]` : file;
    if (!entry || typeof entry !== 'object') throw new UsageError(`${where}: expected an object with table and columns`);
    const e = entry as Record<string, unknown>;
    if (e.kind !== undefined && e.kind !== 'postgresTable') {
      throw new UsageError(`${where}: kind "${String(e.kind)}" is not supported by the CLI (only postgresTable)`);
    }
    const columns = Array.isArray(e.columns)
      ? e.columns.map((c: any) => ({ name: c?.name, type: c?.type, nullable: c?.nullable ?? true }))
      : e.columns;
    return checked({
      kind: 'postgresTable',
      schema: (e.schema as string | undefined) ?? 'public',
      table: e.table as string,
      columns: columns as ColumnConfig[],
      badRows: (e.badRows as PostgresTableSinkConfig['badRows'] | undefined) ?? 'FAIL_FILE',
      extraColumns: (e.extraColumns as PostgresTableSinkConfig['extraColumns'] | undefined) ?? 'IGNORE',
    }, where);
  });
}

function checked(config: PostgresTableSinkConfig, where: string): PostgresTableSinkConfig {
  const problems = tableSinkConfigProblems(config);
  if (problems.length > 0) throw new UsageError(`${where}: ${problems.join('; ')}`);
  return config;
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
