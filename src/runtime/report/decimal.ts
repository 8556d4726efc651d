/**
 * Exact decimal numbers for the report's sums, minimums and maximums: a
 * value is a BigInt of units and a scale (`units / 10^scale`), so sums of
 * money never drift the way binary floats do (0.1 + 0.2 is 0.3 here). A sum
 * keeps the largest scale of its terms, as PostgreSQL's numeric does
 * (1.50 + 2 is 3.50). Values travel through JSON as decimal strings.
 */

/** Longest accepted value, in digits after the exponent is applied: far past any real measure, short of a runaway `1e999999`. */
export const MAX_DECIMAL_DIGITS = 1000;

export interface Decimal {
  readonly units: bigint;
  /** Digits after the decimal point, >= 0. */
  readonly scale: number;
  /** The nearest double, to order most pairs without BigInt arithmetic. */
  readonly approx: number;
}

// The spellings PostgreSQL's numeric input accepts for finite values, minus
// the newer hex/octal/binary and `_` forms: spaces, a sign, digits with an
// optional point, an optional exponent.
const NUMBER = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

const POW10: bigint[] = [1n];
function pow10(n: number): bigint {
  while (POW10.length <= n) POW10.push(POW10[POW10.length - 1] * 10n);
  return POW10[n];
}

/** The value of `text`, or the reason it is not a finite decimal number. */
export function parseDecimal(text: string): Decimal | string {
  const m = NUMBER.exec(text);
  const int = m?.[2] ?? '';
  const frac = m?.[3] ?? '';
  if (!m || int.length + frac.length === 0) return `invalid input syntax for type numeric: "${text}"`;
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  let scale = frac.length - exp;
  if (Math.abs(exp) > MAX_DECIMAL_DIGITS || int.length + frac.length + Math.max(0, -scale) > MAX_DECIMAL_DIGITS || scale > MAX_DECIMAL_DIGITS) {
    return `value "${text.trim()}" has more than ${MAX_DECIMAL_DIGITS} digits, too many for an exact sum`;
  }
  let units = BigInt(int + frac);
  if (scale < 0) {
    units *= pow10(-scale);
    scale = 0;
  }
  if (m[1] === '-') units = -units;
  return { units, scale, approx: Number(text) };
}

/** `a` and `b` brought to the same scale. */
function aligned(a: Decimal, b: Decimal): [bigint, bigint, number] {
  if (a.scale === b.scale) return [a.units, b.units, a.scale];
  return a.scale > b.scale
    ? [a.units, b.units * pow10(a.scale - b.scale), a.scale]
    : [a.units * pow10(b.scale - a.scale), b.units, b.scale];
}

/** Negative when a < b, 0 when equal, positive when a > b (exactly). */
export function compareDecimal(a: Decimal, b: Decimal): number {
  // Rounding to doubles is monotonic: different doubles order the values.
  if (a.approx !== b.approx) return a.approx < b.approx ? -1 : 1;
  const [x, y] = aligned(a, b);
  return x === y ? 0 : x < y ? -1 : 1;
}

function formatUnits(units: bigint, scale: number): string {
  const neg = units < 0n;
  let digits = (neg ? -units : units).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  }
  return neg ? `-${digits}` : digits;
}

/** Plain decimal notation at the value's scale: `-0.0015`, `3.50`, `1000`. */
export function formatDecimal(d: Decimal): string {
  return formatUnits(d.units, d.scale);
}

/**
 * A running exact sum. Terms are added to a BigInt at the largest scale seen
 * so far; the double `approx` is only computed when the sum is read.
 */
export class DecimalSum {
  private units = 0n;
  private scale = 0;
  private terms = 0;

  add(d: Decimal): void {
    this.terms++;
    if (d.scale === this.scale) {
      this.units += d.units;
    } else if (d.scale > this.scale) {
      this.units = this.units * pow10(d.scale - this.scale) + d.units;
      this.scale = d.scale;
    } else {
      this.units += d.units * pow10(this.scale - d.scale);
    }
  }

  /** The sum as a decimal string, or null when nothing was added (SQL's SUM of no values). */
  value(): string | null {
    return this.terms === 0 ? null : formatUnits(this.units, this.scale);
  }
}
