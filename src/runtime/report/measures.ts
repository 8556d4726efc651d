/**
 * One running measure of one group: what a row's value adds, how two of
 * them merge, and how the result reads in the report. Values arrive parsed
 * (./row-values.ts): a Decimal for sum/min/max, a 44-bit hash for
 * distinctCount, null for an empty (NULL) field, which no measure counts.
 */
import { compareDecimal, Decimal, DecimalSum, formatDecimal, parseDecimal } from './decimal';
import { HyperLogLog } from './hll';
import type { MeasureKind } from '../../shared/report-sink-config';

export type MeasureValue = Decimal | number | null;

export interface Accumulator {
  add(value: MeasureValue): void;
  merge(other: Accumulator): void;
  /** The measure in the report: a number, a decimal string, or null (no values). */
  result(): number | string | null;
  /** What merging needs beyond `result()` (the distinct-count sketch). */
  sketch?(): string;
}

class Count implements Accumulator {
  constructor(private n = 0) {}
  add(): void { this.n++; }
  merge(other: Count): void { this.n += other.n; }
  result(): number { return this.n; }
}

class Sum implements Accumulator {
  readonly sum = new DecimalSum();
  add(value: MeasureValue): void { if (value !== null) this.sum.add(value as Decimal); }
  merge(other: Sum): void {
    const v = other.sum.value();
    if (v !== null) this.sum.add(parseDecimal(v) as Decimal);
  }
  result(): string | null { return this.sum.value(); }
}

/** Min (sign 1) or max (sign -1). A tie keeps the value seen first, so chunks merged in file order equal one pass. */
class Extreme implements Accumulator {
  constructor(private readonly sign: number, private best: Decimal | undefined = undefined) {}
  add(value: MeasureValue): void {
    if (value === null) return;
    const d = value as Decimal;
    if (this.best === undefined || this.sign * compareDecimal(d, this.best) < 0) this.best = d;
  }
  merge(other: Extreme): void { if (other.best) this.add(other.best); }
  result(): string | null { return this.best === undefined ? null : formatDecimal(this.best); }
}

class Distinct implements Accumulator {
  constructor(readonly hll = new HyperLogLog()) {}
  add(value: MeasureValue): void { if (value !== null) this.hll.addHash(value as number); }
  merge(other: Distinct): void { this.hll.merge(other.hll); }
  result(): number { return this.hll.estimate(); }
  sketch(): string { return this.hll.serialize(); }
}

export function newAccumulator(kind: MeasureKind): Accumulator {
  switch (kind) {
    case 'count': return new Count();
    case 'sum': return new Sum();
    case 'min': return new Extreme(1);
    case 'max': return new Extreme(-1);
    case 'distinctCount': return new Distinct();
  }
}

/**
 * The accumulator a summary's JSON stands for (`result` as `result()` wrote
 * it, `sketch` for distinctCount); throws naming `where` when it is not one.
 */
export function accumulatorFromJson(kind: MeasureKind, result: unknown, sketch: unknown, where: string): Accumulator {
  const decimal = (): Decimal | undefined => {
    if (result === null) return undefined;
    const d = typeof result === 'string' ? parseDecimal(result) : 'not a decimal string';
    if (typeof d === 'string') throw new Error(`${where}: ${d}`);
    return d;
  };
  switch (kind) {
    case 'count':
      if (typeof result !== 'number' || !Number.isInteger(result) || result < 0) throw new Error(`${where}: a count must be a whole number, got ${JSON.stringify(result)}`);
      return new Count(result);
    case 'sum': {
      const acc = new Sum();
      const d = decimal();
      if (d) acc.sum.add(d);
      return acc;
    }
    case 'min': return new Extreme(1, decimal());
    case 'max': return new Extreme(-1, decimal());
    case 'distinctCount': return new Distinct(HyperLogLog.deserialize(sketch, where));
  }
}
