import { columnTypeProblem, MAX_CHAR_LENGTH, MAX_NUMERIC_PRECISION, normalizeColumnType } from '../shared/table-rules';

/**
 * PostgreSQL type of a target-table column. Use the constants for common
 * types, the factories for parameterised ones, or `ColumnType.of()` for the
 * other built-in types the pipeline accepts (see `ColumnType.of()`).
 */
export class ColumnType {
  /** `text`: any string. */
  public static readonly TEXT = new ColumnType('text');
  /** `smallint`: -32768 to 32767. */
  public static readonly SMALLINT = new ColumnType('smallint');
  /** `integer`: 32-bit whole numbers. */
  public static readonly INTEGER = new ColumnType('integer');
  /** `bigint`: 64-bit whole numbers. */
  public static readonly BIGINT = new ColumnType('bigint');
  /** `double precision`: 64-bit floating point. */
  public static readonly DOUBLE = new ColumnType('double precision');
  /** `real`: 32-bit floating point. */
  public static readonly REAL = new ColumnType('real');
  /** `boolean`: true/false, t/f, yes/no, on/off, 1/0. */
  public static readonly BOOLEAN = new ColumnType('boolean');
  /** `date`: ISO 8601 dates such as 2026-11-22. */
  public static readonly DATE = new ColumnType('date');
  /** `timestamp`: date and time without a time zone. */
  public static readonly TIMESTAMP = new ColumnType('timestamp');
  /** `timestamptz`: date and time with a time zone. */
  public static readonly TIMESTAMPTZ = new ColumnType('timestamptz');
  /** `uuid`. */
  public static readonly UUID = new ColumnType('uuid');
  /** `jsonb`: a JSON document. */
  public static readonly JSONB = new ColumnType('jsonb');

  /**
   * `numeric(precision, scale)`, or unconstrained `numeric` without arguments.
   *
   * @param precision - total number of digits; without it the column is unconstrained `numeric`
   * @param scale - digits after the decimal point (needs `precision`); by default 0
   */
  public static numeric(precision?: number, scale?: number): ColumnType {
    if (precision === undefined) {
      if (scale !== undefined) throw new Error('ColumnType.numeric(): scale needs a precision');
      return new ColumnType('numeric');
    }
    if (!Number.isInteger(precision) || precision < 1 || precision > MAX_NUMERIC_PRECISION) {
      throw new Error(`ColumnType.numeric(): precision must be a whole number between 1 and ${MAX_NUMERIC_PRECISION} (got ${precision})`);
    }
    const s = scale ?? 0;
    if (!Number.isInteger(s) || s < 0 || s > precision) {
      throw new Error(`ColumnType.numeric(): scale must be a whole number between 0 and precision ${precision} (got ${scale})`);
    }
    return new ColumnType(`numeric(${precision},${s})`);
  }

  /** `varchar(length)`: strings of at most `length` characters. */
  public static varchar(length: number): ColumnType {
    if (!Number.isInteger(length) || length < 1 || length > MAX_CHAR_LENGTH) {
      throw new Error(`ColumnType.varchar(): length must be a whole number between 1 and ${MAX_CHAR_LENGTH} (got ${length})`);
    }
    return new ColumnType(`varchar(${length})`);
  }

  /**
   * Any other built-in PostgreSQL type the pipeline accepts, by name.
   *
   * The name may be written in any case and spacing. Accepted: `smallint`,
   * `integer`, `bigint` (and `int2`, `int`, `int4`, `int8`), `numeric[(p[,s])]` or `decimal[(p[,s])]` (p 1-1000, s 0-p), `real`
   * (`float4`), `double precision` (`float8`), `float[(p)]` (p 1-53),
   * `boolean` (`bool`), `text`, `varchar[(n)]` or `character varying[(n)]`,
   * `char[(n)]` or `character[(n)]` (n 1-10485760), `date`,
   * `time[(p)] [with time zone | without time zone]`, `timetz[(p)]`,
   * `timestamp[(p)] [with time zone | without time zone]`, `timestamptz[(p)]`,
   * `interval[(p)]` (p 0-6), `uuid`, `json`, `jsonb`, `bytea`, `inet`, `cidr`,
   * `macaddr`; any of them may be followed by `[]` for an array
   * (e.g. `text[]`, `timestamp(3) with time zone`, `numeric(12,2)[]`).
   *
   * Schema-qualified, extension and custom types (`public.citext`, enums,
   * domains) are refused: the pipeline creates the table itself and cannot
   * create them. So are array sizes and dimensions (`int[3]`, `int[][]`),
   * which PostgreSQL ignores. The loader and the CLI apply the same rules.
   *
   * @param sqlType the type as written in SQL; it is stored normalised
   *   (lower case, single spaces: `Numeric ( 12, 2 )` becomes `numeric(12,2)`).
   */
  public static of(sqlType: string): ColumnType {
    return new ColumnType(sqlType);
  }

  /** The type as written in SQL, normalised: lower case, single spaces, e.g. `numeric(12,2)`. */
  public readonly sqlType: string;

  private constructor(sqlType: string) {
    const problem = columnTypeProblem(sqlType);
    if (problem !== undefined) {
      throw new Error(`ColumnType.of(): type ${JSON.stringify(sqlType)} ${problem}`);
    }
    this.sqlType = normalizeColumnType(sqlType);
  }
}
