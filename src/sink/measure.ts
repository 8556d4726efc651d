/** What `Sink.report()` computes per group: `Measure.count()`, `Measure.sum('amount')`, ... */

/** The kinds of measure a report computes. */
export enum MeasureKind {
  /** Rows in the group. */
  COUNT = 'count',
  /** Exact decimal sum of a numeric column. */
  SUM = 'sum',
  /** Smallest value of a numeric column. */
  MIN = 'min',
  /** Largest value of a numeric column. */
  MAX = 'max',
  /** Estimated number of distinct values of a column (HyperLogLog). */
  DISTINCT_COUNT = 'distinctCount',
}

/** Options of every measure. */
export interface MeasureOptions {
  /**
   * Name of the measure in the report (a key of each group's `measures`).
   * Two measures of one report cannot share a name.
   *
   * @default - `count` for `Measure.count()`, else the kind and the column:
   * `sum_amount`, `min_amount`, `max_amount`, `distinct_customer`
   */
  readonly name?: string;
}

const PREFIX: Record<MeasureKind, string> = {
  [MeasureKind.COUNT]: 'count',
  [MeasureKind.SUM]: 'sum',
  [MeasureKind.MIN]: 'min',
  [MeasureKind.MAX]: 'max',
  [MeasureKind.DISTINCT_COUNT]: 'distinct',
};

/**
 * One aggregate of a report, computed for each group. Pick with the static
 * factories.
 *
 * Numeric measures (`sum`, `min`, `max`) parse their column's values as
 * exact decimals (`12`, `-3.50`, `1e3`; spaces around allowed): a value that
 * does not parse is a bad row (see `ReportSinkOptions.badRows`). Sums are
 * exact, at the largest number of decimals of their terms, and are written
 * as decimal strings (`"1234.50"`), as are minimums and maximums. Empty
 * fields are NULL and count in no measure but `count()`.
 */
export abstract class Measure {
  /**
   * Rows in each group.
   *
   * @param options - the measure's name in the report; by default `count`
   */
  public static count(options: MeasureOptions = {}): Measure {
    return new SimpleMeasure(MeasureKind.COUNT, undefined, options, 'count');
  }

  /**
   * Exact sum of a numeric column.
   *
   * @param column - the column summed
   * @param options - the measure's name in the report; by default `sum_<column>`
   */
  public static sum(column: string, options: MeasureOptions = {}): Measure {
    return new SimpleMeasure(MeasureKind.SUM, column, options, 'sum');
  }

  /**
   * Smallest value of a numeric column.
   *
   * @param column - the column
   * @param options - the measure's name in the report; by default `min_<column>`
   */
  public static min(column: string, options: MeasureOptions = {}): Measure {
    return new SimpleMeasure(MeasureKind.MIN, column, options, 'min');
  }

  /**
   * Largest value of a numeric column.
   *
   * @param column - the column
   * @param options - the measure's name in the report; by default `max_<column>`
   */
  public static max(column: string, options: MeasureOptions = {}): Measure {
    return new SimpleMeasure(MeasureKind.MAX, column, options, 'max');
  }

  /**
   * Estimated number of distinct values of a column, of any type (values
   * are compared as their text, exactly).
   *
   * Exact up to 256 distinct values per group; above that a HyperLogLog
   * estimate with a relative standard error of 1.6% (within 5% in 99.7% of
   * cases). It takes up to 4 KiB of memory per group, and estimates merge
   * exactly across a file's chunks and a scheduled run's files.
   *
   * @param column - the column
   * @param options - the measure's name in the report; by default `distinct_<column>`
   */
  public static distinctCount(column: string, options: MeasureOptions = {}): Measure {
    return new SimpleMeasure(MeasureKind.DISTINCT_COUNT, column, options, 'distinctCount');
  }

  /** What the measure computes. */
  public abstract readonly kind: MeasureKind;

  /**
   * The measured CSV column (matched exactly against the trimmed header).
   *
   * @default - none: `count()` measures rows
   */
  public abstract readonly column?: string;

  /** Name of the measure in the report. */
  public abstract readonly name: string;
}

class SimpleMeasure extends Measure {
  public readonly name: string;

  constructor(public readonly kind: MeasureKind, public readonly column: string | undefined, options: MeasureOptions, factory: string) {
    super();
    const where = `Measure.${factory}()`;
    if (kind !== MeasureKind.COUNT && (typeof column !== 'string' || column.trim() === '')) {
      throw new Error(`${where}: column must be a non-empty CSV column name, got ${JSON.stringify(column) ?? 'nothing'}`);
    }
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name.trim() === '')) {
      throw new Error(`${where}: name must be a non-empty string, got ${JSON.stringify(options.name)}`);
    }
    this.name = options.name ?? (kind === MeasureKind.COUNT ? 'count' : `${PREFIX[kind]}_${column}`);
  }
}
