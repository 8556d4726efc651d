/**
 * The one set of rules for a table sink's names and types. `Sink.postgresTable()`
 * and `ColumnType` (synth time), the loader (run time, PIPELINE_SINKS) and the
 * CLI (`--config`, `--table/--column`) all ask these functions, so a table
 * that synthesizes is one the runtime and the CLI accept, and the other way
 * round. Pure: no pg, no aws-cdk-lib, nothing outside this folder.
 *
 * How names behave: the loader always writes names double-quoted in SQL
 * (`"schema"."table"`, `"column"`), so PostgreSQL keeps them exactly as
 * written. Table and schema names are therefore limited to names that mean the
 * same quoted or not (lower case, no reserved words), so users can query them
 * unquoted. Column names must equal CSV headers, which are case-sensitive and
 * often contain spaces, so they are kept exactly as written: a column
 * `Order ID` or `Amount` is queried as `"Order ID"` or `"Amount"`.
 */

/** Column the loader adds to every table; rows carry the file version's id. */
export const FILE_ID_COLUMN = '_file_id';

/** Suffix of the index the loader creates on `_file_id`: `<table>_file_id_idx`. */
export const FILE_ID_INDEX_SUFFIX = `${FILE_ID_COLUMN}_idx`;

/** PostgreSQL silently truncates longer identifiers (NAMEDATALEN - 1). */
export const MAX_IDENTIFIER_BYTES = 63;

/** Table names leave room for the loader's index name, `<table>_file_id_idx`. */
export const MAX_TABLE_NAME_BYTES = MAX_IDENTIFIER_BYTES - FILE_ID_INDEX_SUFFIX.length;

/**
 * The pipeline's own tables (see src/runtime/ledger/migrations.ts). A sink table may
 * not have their names, nor start with `<name>_` (their indexes, sequences
 * and any later ones): `CREATE TABLE IF NOT EXISTS` would silently skip it.
 */
export const RESERVED_TABLE_NAMES: readonly string[] = ['file_metadata', 'schema_migrations', 'file_checkpoint', 'file_chunk_rejects', 'file_part_ranges', 'file_parts'];

/** PostgreSQL's system columns: `CREATE TABLE` refuses a column of these names. */
export const SYSTEM_COLUMN_NAMES: readonly string[] = ['tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid'];

/**
 * PostgreSQL keywords that cannot be a table or schema name unless quoted
 * (`pg_get_keywords()` categories R and T, PostgreSQL 15-17).
 */
export const RESERVED_KEYWORDS: readonly string[] = [
  'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'authorization',
  'binary', 'both', 'case', 'cast', 'check', 'collate', 'collation', 'column', 'concurrently',
  'constraint', 'create', 'cross', 'current_catalog', 'current_date', 'current_role',
  'current_schema', 'current_time', 'current_timestamp', 'current_user', 'default', 'deferrable',
  'desc', 'distinct', 'do', 'else', 'end', 'except', 'false', 'fetch', 'for', 'foreign', 'freeze',
  'from', 'full', 'grant', 'group', 'having', 'ilike', 'in', 'initially', 'inner', 'intersect',
  'into', 'is', 'isnull', 'join', 'lateral', 'leading', 'left', 'like', 'limit', 'localtime',
  'localtimestamp', 'natural', 'not', 'notnull', 'null', 'offset', 'on', 'only', 'or', 'order',
  'outer', 'overlaps', 'placing', 'primary', 'references', 'returning', 'right', 'select',
  'session_user', 'similar', 'some', 'symmetric', 'system_user', 'table', 'tablesample', 'then',
  'to', 'trailing', 'true', 'union', 'unique', 'user', 'using', 'variadic', 'verbose', 'when',
  'where', 'window', 'with',
];

/** What a column type's `(…)` modifier may be. */
type Modifier =
  | 'none'
  | 'numeric' // (precision) or (precision, scale)
  | 'length' // (n), optional
  | 'float' // (binary digits), optional
  | 'precision' // fractional-second digits, optional
  | 'precision-tz'; // fractional-second digits, then `with[out] time zone`

/** The accepted PostgreSQL type names (lower case), each with its modifier. */
const TYPES: Readonly<Record<string, Modifier>> = {
  'smallint': 'none',
  'int2': 'none',
  'integer': 'none',
  'int': 'none',
  'int4': 'none',
  'bigint': 'none',
  'int8': 'none',
  'numeric': 'numeric',
  'decimal': 'numeric',
  'real': 'none',
  'float4': 'none',
  'double precision': 'none',
  'float8': 'none',
  'float': 'float',
  'boolean': 'none',
  'bool': 'none',
  'text': 'none',
  'varchar': 'length',
  'character varying': 'length',
  'char': 'length',
  'character': 'length',
  'date': 'none',
  'time': 'precision-tz',
  'timetz': 'precision',
  'timestamp': 'precision-tz',
  'timestamptz': 'precision',
  'interval': 'precision',
  'uuid': 'none',
  'json': 'none',
  'jsonb': 'none',
  'bytea': 'none',
  'inet': 'none',
  'cidr': 'none',
  'macaddr': 'none',
};

/** The accepted type names, without modifiers, in documentation order. */
export const COLUMN_TYPE_NAMES: readonly string[] = Object.keys(TYPES);

/** Largest `numeric` precision PostgreSQL allows. */
export const MAX_NUMERIC_PRECISION = 1000;
/** Largest `varchar(n)` / `char(n)` length PostgreSQL allows. */
export const MAX_CHAR_LENGTH = 10485760;
/** Largest fractional-second precision of time, timestamp and interval types. */
export const MAX_TIME_PRECISION = 6;

const TYPE_SUMMARY =
  'smallint, integer, bigint, numeric[(p[,s])], real, double precision, float[(p)], boolean, text, '
  + 'varchar[(n)], char[(n)], date, time[(p)] [with time zone], timestamp[(p)] [with time zone], '
  + 'timestamptz[(p)], interval[(p)], uuid, json, jsonb, bytea, inet, cidr, macaddr '
  + '(or their PostgreSQL aliases such as int4, decimal, character varying), optionally followed by []';

/** A problem with one value of a table sink configuration. */
export interface ConfigProblem {
  /** Where the value is, as a JSON path into the configuration: `table`, `columns[3].type`. */
  readonly path: string;
  /** The offending value (undefined when it is missing). */
  readonly value: unknown;
  /** What is wrong, phrased to follow the path and value: `must be lower case ...`. */
  readonly reason: string;
}

/**
 * `columns[3].type "numeric(0)" <reason>`; `label` replaces the path when
 * the caller knows the value by another name (a CLI option).
 */
export function describeProblem(problem: ConfigProblem, label: string = problem.path): string {
  if (problem.value === undefined) return `${label} is missing`;
  return `${label} ${JSON.stringify(problem.value)} ${problem.reason}`;
}

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

const PLAIN_NAME = /^[a-z_][a-z0-9_]*$/;

/** Shared by table and schema names: a name that means the same quoted or unquoted. */
function plainNameProblem(value: unknown, what: 'table' | 'schema', maxBytes: number): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value === '') return 'must not be empty';
  if (!PLAIN_NAME.test(value)) {
    const lower = value.toLowerCase();
    if (PLAIN_NAME.test(lower)) {
      return `must be lower case: use ${JSON.stringify(lower)} (the pipeline writes names double-quoted, `
        + `so ${JSON.stringify(value)} would be a different, case-sensitive ${what} that every query would have to quote)`;
    }
    return 'must be a lower-case SQL name: letters a-z, digits and _, not starting with a digit';
  }
  if (value.length > maxBytes) {
    return maxBytes === MAX_IDENTIFIER_BYTES
      ? `is ${value.length} bytes long; PostgreSQL names are at most ${MAX_IDENTIFIER_BYTES} bytes (longer ones are truncated)`
      : `is ${value.length} bytes long; ${what} names are at most ${maxBytes} bytes, so that the loader's index `
        + `name <${what}>${FILE_ID_INDEX_SUFFIX} fits PostgreSQL's ${MAX_IDENTIFIER_BYTES}-byte limit`;
  }
  if (RESERVED_KEYWORDS.includes(value)) {
    return 'is a reserved word in PostgreSQL, so every query would have to quote it; choose another name';
  }
  return undefined;
}

/** Why `value` cannot be a table name, or undefined when it can. */
export function tableNameProblem(value: unknown): string | undefined {
  const plain = plainNameProblem(value, 'table', MAX_TABLE_NAME_BYTES);
  if (plain) return plain;
  const name = value as string;
  const own = RESERVED_TABLE_NAMES.find((t) => name === t || name.startsWith(`${t}_`));
  if (own !== undefined) {
    return `is reserved by the pipeline: ${own} and names starting with ${own}_ are its own table and its indexes`;
  }
  if (name.endsWith(FILE_ID_INDEX_SUFFIX)) {
    return `is reserved by the pipeline: it names the index of table ${JSON.stringify(name.slice(0, -FILE_ID_INDEX_SUFFIX.length))} that way`;
  }
  return undefined;
}

/** Why `value` cannot be a schema name, or undefined when it can. */
export function schemaNameProblem(value: unknown): string | undefined {
  const plain = plainNameProblem(value, 'schema', MAX_IDENTIFIER_BYTES);
  if (plain) return plain;
  const name = value as string;
  if (name.startsWith('pg_') || name === 'information_schema') {
    return 'is reserved for PostgreSQL\'s system schemas';
  }
  return undefined;
}

// Control, format, private-use, unassigned and surrogate code points, and
// white space other than the plain space.
const INVISIBLE = /[\p{C}]|(?! )\s/u;

/** Why `value` cannot be a column name, or undefined when it can. */
export function columnNameProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value === '') return 'must not be empty';
  if (value.trim() !== value) {
    return 'starts or ends with white space: CSV header names are trimmed before they are matched, so it could never match';
  }
  if (INVISIBLE.test(value)) return 'contains a control character, or white space other than a plain space';
  if (value.includes('"')) return 'contains a double quote (usually a CSV quoting mistake)';
  if (value.includes(':')) return 'contains \':\', which separates name and type in --column name:type and the loader\'s error locations';
  const bytes = byteLength(value);
  if (bytes > MAX_IDENTIFIER_BYTES) {
    return `is ${bytes} bytes long in UTF-8; PostgreSQL names are at most ${MAX_IDENTIFIER_BYTES} bytes (longer ones are truncated)`;
  }
  if (value === FILE_ID_COLUMN) return `is reserved: the loader adds a ${FILE_ID_COLUMN} column to every table`;
  if (SYSTEM_COLUMN_NAMES.includes(value)) return 'is the name of a PostgreSQL system column';
  return undefined;
}

/**
 * Lower case, single spaces, none around `(`, `,`, `)`, `[`, `]`, no leading
 * zeros: `Numeric ( 12, 02 )` -> `numeric(12,2)`. Only meaningful for a type
 * `columnTypeProblem` accepts.
 */
export function normalizeColumnType(type: string): string {
  return type.trim().toLowerCase()
    .replace(/ +/g, ' ')
    .replace(/ ?([(),[\]]) ?/g, '$1')
    .replace(/\)(with|without) /g, ') $1 ')
    .replace(/\b0+(\d)/g, '$1');
}

const TYPE_SHAPE = /^([a-z][a-z0-9_]*(?: [a-z][a-z0-9_]*)*?)(?:\((\d+)(?:,(\d+))?\))?( with time zone| without time zone)?((?:\[\d*\])*)$/;

function range(what: string, n: number, min: number, max: number): string | undefined {
  return n >= min && n <= max ? undefined : `has ${what} ${n}; it must be between ${min} and ${max}`;
}

/**
 * Why `value` cannot be a column type, or undefined when it can. Accepted:
 * the built-in types in COLUMN_TYPE_NAMES (any case, any spacing), with the
 * modifiers PostgreSQL takes for them, optionally followed by `[]`. Types are
 * written into the CREATE TABLE statement as they are, so nothing else (no
 * DEFAULT, constraint or second statement) can get in, and every accepted type
 * exists in every PostgreSQL database.
 */
export function columnTypeProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  const trimmed = value.trim();
  if (trimmed === '') return 'must not be empty';
  if (/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_]/.test(trimmed)) {
    return 'is schema-qualified: only built-in PostgreSQL types are accepted, because the pipeline creates the table '
      + `itself and cannot create extension or custom types (load such values as text). Accepted: ${TYPE_SUMMARY}`;
  }
  if (/[^A-Za-z0-9 (),[\]]/.test(trimmed)) {
    return `is not a type name (only letters, digits, spaces, (n[,m]) and [] may appear). Accepted: ${TYPE_SUMMARY}`;
  }
  const m = TYPE_SHAPE.exec(normalizeColumnType(trimmed));
  if (!m) return `is not a type name. Accepted: ${TYPE_SUMMARY}`;
  const [, name, first, second, zone, brackets] = m;
  const modifier = TYPES[name];
  if (modifier === undefined && name.includes(' ')) return `is not a type name. Accepted: ${TYPE_SUMMARY}`;
  if (modifier === undefined) {
    return 'is not a built-in type the pipeline accepts: custom and extension types (citext, enums, domains) '
      + `are refused because the pipeline creates the table itself and cannot create them. Accepted: ${TYPE_SUMMARY}`;
  }
  if (brackets !== '' && brackets !== '[]') {
    return `declares array sizes or dimensions, which PostgreSQL does not enforce: write ${JSON.stringify(`${name}[]`)}`;
  }
  if (zone && modifier !== 'precision-tz') return `is not a time or timestamp type, so it takes no "${zone.trim()}"`;
  const p = first === undefined ? undefined : Number(first);
  const s = second === undefined ? undefined : Number(second);
  if (p === undefined) return undefined;
  switch (modifier) {
    case 'none':
      return `takes no (…) modifier (${name} has none)`;
    case 'numeric':
      return range('precision', p, 1, MAX_NUMERIC_PRECISION) ?? (s === undefined ? undefined : range('scale', s, 0, p));
    case 'length':
      return s !== undefined ? 'takes one length, not two numbers' : range('length', p, 1, MAX_CHAR_LENGTH);
    case 'float':
      return s !== undefined ? 'takes one precision, not two numbers' : range('precision', p, 1, 53);
    case 'precision':
    case 'precision-tz':
      return s !== undefined ? 'takes one precision, not two numbers' : range('precision', p, 0, MAX_TIME_PRECISION);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Every problem of a `postgresTable` sink configuration (the JSON the
 * construct writes and the CLI reads), each with its JSON path and value;
 * empty when valid.
 */
export function tableSinkProblems(config: unknown): ConfigProblem[] {
  if (!isRecord(config)) return [{ path: 'configuration', value: config, reason: 'must be an object with table and columns' }];
  const problems: ConfigProblem[] = [];
  const add = (path: string, value: unknown, reason: string | undefined) => {
    if (reason !== undefined) problems.push({ path, value, reason });
  };
  add('schema', config.schema, schemaNameProblem(config.schema));
  add('table', config.table, tableNameProblem(config.table));
  if (config.badRows !== 'FAIL_FILE' && config.badRows !== 'SKIP_AND_REPORT') {
    add('badRows', config.badRows, 'must be FAIL_FILE or SKIP_AND_REPORT');
  }
  if (config.extraColumns !== 'IGNORE' && config.extraColumns !== 'REJECT') {
    add('extraColumns', config.extraColumns, 'must be IGNORE or REJECT');
  }
  if (config.previousVersions !== undefined && config.previousVersions !== 'REPLACE' && config.previousVersions !== 'APPEND') {
    add('previousVersions', config.previousVersions, 'must be REPLACE or APPEND');
  }
  const columns = config.columns;
  if (!Array.isArray(columns)) {
    add('columns', columns, 'must be a list of columns');
    return problems;
  }
  if (columns.length === 0) {
    problems.push({ path: 'columns', value: columns, reason: 'must declare at least one column' });
    return problems;
  }
  const firstIndex = new Map<string, number>();
  columns.forEach((column: unknown, i) => {
    const at = `columns[${i}]`;
    if (!isRecord(column)) {
      add(at, column, 'must be an object with name and type');
      return;
    }
    const nameProblem = columnNameProblem(column.name);
    add(`${at}.name`, column.name, nameProblem);
    if (nameProblem === undefined) {
      const name = column.name as string;
      const earlier = firstIndex.get(name);
      if (earlier !== undefined) {
        add(`${at}.name`, name, `is declared twice (also columns[${earlier}].name; names are compared exactly, as PostgreSQL compares quoted names)`);
      } else {
        firstIndex.set(name, i);
      }
    }
    add(`${at}.type`, column.type, columnTypeProblem(column.type));
    if (typeof column.nullable !== 'boolean') add(`${at}.nullable`, column.nullable, 'must be true or false');
  });
  return problems;
}
