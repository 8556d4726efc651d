/**
 * Pure checks of a table sink's configuration. The construct calls this at
 * synth time and the loader again at run time, so it must stay free of pg,
 * streams and anything outside src/shared (jsii imports it cheaply).
 */
import type { PostgresTableSinkConfig } from '../../shared/sink-config';

/** Column the loader adds to every table; rows carry the file version's id. */
export const FILE_ID_COLUMN = '_file_id';

/**
 * Transaction-local setting the `_file_id` column default reads, so COPY can
 * stamp every row without per-row work in JavaScript.
 */
export const FILE_ID_SETTING = 'cdk_data_pipeline.file_id';

// Table and schema names become SQL identifiers: keep them to the portable
// unquoted form so users can query them without quoting.
const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;
// Column names come from CSV headers, which often contain spaces or dashes;
// they are always double-quoted in SQL, and quotes/control characters are refused.
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_$ .\-]*[A-Za-z0-9_$]$|^[A-Za-z_]$/;
// Types are spliced into DDL unquoted, so only a type name (optionally
// schema-qualified, or one of the SQL two-word names), an optional (p[,s])
// modifier, `with[out] time zone` and array brackets are allowed: nothing
// that could add a DEFAULT, a constraint or another statement.
const TYPE_NAME = /^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*( varying| precision)?(\(\d+(,-?\d+)?\))?( with time zone| without time zone)?(\[\d*\])*$/;
const MAX_IDENTIFIER_BYTES = 63;

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Lower case, single spaces, no spaces around modifiers: `Numeric ( 12, 2 )` -> `numeric(12,2)`. */
function normalizeType(type: string): string {
  return type.trim().toLowerCase().replace(/\s+/g, ' ').replace(/ ?([(),\[\]]) ?/g, '$1').replace(/\)(with|without) /g, ') $1 ');
}

/** Every problem with the configuration, as messages naming the bad value; empty when valid. */
export function tableSinkConfigProblems(config: PostgresTableSinkConfig): string[] {
  const problems: string[] = [];
  const c = config as Partial<PostgresTableSinkConfig> | undefined;
  if (!c || typeof c !== 'object') return ['table sink configuration must be an object'];
  for (const [what, value] of [['schema', c.schema], ['table', c.table]] as const) {
    if (typeof value !== 'string' || !PLAIN_IDENTIFIER.test(value)) {
      problems.push(`invalid ${what} name ${JSON.stringify(value)}: use letters, digits, _ or $, starting with a letter or _`);
    } else if (byteLength(value) > MAX_IDENTIFIER_BYTES) {
      problems.push(`invalid ${what} name ${JSON.stringify(value)}: longer than ${MAX_IDENTIFIER_BYTES} bytes`);
    }
  }
  if (c.badRows !== 'FAIL_FILE' && c.badRows !== 'SKIP_AND_REPORT') {
    problems.push(`invalid badRows ${JSON.stringify(c.badRows)}: expected FAIL_FILE or SKIP_AND_REPORT`);
  }
  if (c.extraColumns !== 'IGNORE' && c.extraColumns !== 'REJECT') {
    problems.push(`invalid extraColumns ${JSON.stringify(c.extraColumns)}: expected IGNORE or REJECT`);
  }
  if (!Array.isArray(c.columns) || c.columns.length === 0) {
    problems.push('a table sink needs at least one column');
    return problems;
  }
  const seen = new Set<string>();
  for (const col of c.columns) {
    const name = col?.name;
    if (typeof name !== 'string' || !COLUMN_NAME.test(name)) {
      problems.push(`invalid column name ${JSON.stringify(name)}: use letters, digits, _, $, space, '.' or '-', starting with a letter or _`);
      continue;
    }
    if (byteLength(name) > MAX_IDENTIFIER_BYTES) {
      problems.push(`invalid column name ${JSON.stringify(name)}: longer than ${MAX_IDENTIFIER_BYTES} bytes`);
    }
    if (name === FILE_ID_COLUMN) {
      problems.push(`invalid column name ${JSON.stringify(name)}: reserved for the file id the loader adds`);
    }
    if (seen.has(name)) problems.push(`duplicate column name ${JSON.stringify(name)}`);
    seen.add(name);
    const type = col.type;
    if (typeof type !== 'string' || type.length > 100 || !TYPE_NAME.test(normalizeType(type))) {
      problems.push(`invalid type ${JSON.stringify(type)} for column ${JSON.stringify(name)}: expected a PostgreSQL type name such as integer, numeric(12,2), timestamptz or varchar(50)`);
    }
    if (typeof col.nullable !== 'boolean') {
      problems.push(`invalid nullable ${JSON.stringify(col.nullable)} for column ${JSON.stringify(name)}: expected true or false`);
    }
  }
  return problems;
}

/** Throws an Error listing every problem (each naming the bad value) when the configuration is invalid. */
export function validateTableSinkConfig(config: PostgresTableSinkConfig): void {
  const problems = tableSinkConfigProblems(config);
  if (problems.length > 0) {
    throw new Error(`Invalid postgresTable sink configuration: ${problems.join('; ')}`);
  }
}

/** Double-quotes an identifier the validator accepted. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"schema"."table"` of a validated configuration. */
export function qualifiedTableName(config: PostgresTableSinkConfig): string {
  return `${quoteIdent(config.schema)}.${quoteIdent(config.table)}`;
}
