/**
 * PostgreSQL type of a target-table column. Use the constants for common
 * types, the factories for parameterised ones, or `ColumnType.of()` for any
 * other type name PostgreSQL accepts.
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
   */
  public static numeric(precision?: number, scale?: number): ColumnType {
    if (precision === undefined) {
      if (scale !== undefined) throw new Error('ColumnType.numeric(): scale needs a precision');
      return new ColumnType('numeric');
    }
    if (!Number.isInteger(precision) || precision < 1 || precision > 1000) {
      throw new Error(`ColumnType.numeric(): precision must be a whole number between 1 and 1000 (got ${precision})`);
    }
    const s = scale ?? 0;
    if (!Number.isInteger(s) || s < 0 || s > precision) {
      throw new Error(`ColumnType.numeric(): scale must be a whole number between 0 and precision ${precision} (got ${scale})`);
    }
    return new ColumnType(`numeric(${precision},${s})`);
  }

  /** `varchar(length)`: strings of at most `length` characters. */
  public static varchar(length: number): ColumnType {
    if (!Number.isInteger(length) || length < 1 || length > 10485760) {
      throw new Error(`ColumnType.varchar(): length must be a whole number between 1 and 10485760 (got ${length})`);
    }
    return new ColumnType(`varchar(${length})`);
  }

  /**
   * Any other PostgreSQL type, by name (e.g. `inet`, `interval`, `text[]`).
   * Checked against a safe pattern at synth time.
   */
  public static of(sqlType: string): ColumnType {
    return new ColumnType(sqlType);
  }

  private constructor(
    /** The type as written in SQL. */
    public readonly sqlType: string,
  ) {
    if (!/^[a-z][a-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])?$/i.test(sqlType.trim())) {
      throw new Error(`ColumnType.of(): '${sqlType}' is not a PostgreSQL type name (letters, digits, spaces, optional (n[,m]) and [])`);
    }
  }
}
