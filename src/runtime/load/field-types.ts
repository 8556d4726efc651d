/**
 * Byte-level checks of CSV field values against PostgreSQL's input rules for
 * the common column types. They run on every field when rows must be
 * screened (SKIP_AND_REPORT), so they avoid building strings for valid values.
 *
 * A check answers VALID only when PostgreSQL 15-17 certainly accepts the
 * value and a reason only when it certainly rejects it; anything in between
 * (rare spellings such as `0x1F`, `Jan 5 2024`, huge exponents) is UNSURE and
 * PostgreSQL decides, so a check can never drop a row PostgreSQL would load.
 */
/* eslint-disable no-bitwise -- `c | 0x20` (ASCII lower case) and UTF-8 lead-byte tests on the hot path. */

export const VALID = 0;
export const UNSURE = 1;
/** VALID, UNSURE, or the reason PostgreSQL would give for rejecting the value. */
export type Verdict = typeof VALID | typeof UNSURE | string;
/** Checks the unescaped bytes `b[s..e)` of a non-NULL field. */
export type FieldCheck = (b: Buffer, s: number, e: number) => Verdict;

/**
 * Which factory a check comes from, so a caller can call each kind from a
 * call site of its own (one that sees a single function, which the engine
 * can inline) rather than one site for all.
 */
export const enum CheckKind { OTHER, ANY_TEXT, INTEGER, NUMERIC, FLOAT, BOOLEAN, DATE_TIME }
const KINDS = new WeakMap<FieldCheck, CheckKind>();

function tag(kind: CheckKind, check: FieldCheck): FieldCheck {
  KINDS.set(check, kind);
  return check;
}

export function checkKindOf(check: FieldCheck): CheckKind {
  return KINDS.get(check) ?? CheckKind.OTHER;
}

const unsure: FieldCheck = () => UNSURE;
const anyText: FieldCheck = tag(CheckKind.ANY_TEXT, () => VALID);

/** The check for a declared PostgreSQL type; types it does not know are always UNSURE. */
export function fieldCheckFor(declaredType: string): FieldCheck {
  const t = declaredType.trim().toLowerCase().replace(/\s+/g, ' ').replace(/\s*\(\s*/g, '(').replace(/\s*,\s*/g, ',').replace(/\s*\)/g, ')');
  if (t.endsWith('[]')) return unsure;
  const m = /^([a-z0-9_ ]+?)(?:\((\d+)(?:,(-?\d+))?\))?( with time zone| without time zone)?$/.exec(t);
  if (!m) return unsure;
  const base = m[1] + (m[4] ?? '');
  const p1 = m[2] === undefined ? undefined : Number(m[2]);
  const p2 = m[3] === undefined ? undefined : Number(m[3]);
  switch (base) {
    case 'smallint': case 'int2': return intCheck('smallint', -32768n, 32767n);
    case 'integer': case 'int': case 'int4': return intCheck('integer', -2147483648n, 2147483647n);
    case 'bigint': case 'int8': return intCheck('bigint', -9223372036854775808n, 9223372036854775807n);
    case 'numeric': case 'decimal': return numericCheck(p1, p1 === undefined ? undefined : p2 ?? 0);
    case 'real': case 'float4': return floatCheck('real', 37);
    case 'double precision': case 'float8': return floatCheck('double precision', 300);
    case 'float': return floatCheck('double precision', p1 !== undefined && p1 <= 24 ? 37 : 300);
    case 'boolean': case 'bool': return boolCheck;
    case 'date': return dateTimeCheck('date', false);
    case 'timestamp': case 'timestamp without time zone': return dateTimeCheck('timestamp', true);
    case 'timestamptz': case 'timestamp with time zone': return dateTimeCheck('timestamp with time zone', true);
    case 'text': return anyText;
    case 'varchar': case 'character varying':
      return p1 === undefined ? anyText : lengthCheck(`character varying(${p1})`, p1);
    case 'bpchar': return p1 === undefined ? anyText : lengthCheck(`character(${p1})`, p1);
    case 'char': case 'character': return lengthCheck(`character(${p1 ?? 1})`, p1 ?? 1);
    case 'uuid': return uuidCheck;
    default: return unsure;
  }
}

function text(b: Buffer, s: number, e: number): string {
  return b.toString('utf8', s, e);
}

function invalidSyntax(type: string, b: Buffer, s: number, e: number): string {
  return `invalid input syntax for type ${type}: "${text(b, s, e)}"`;
}

// C isspace() in the C locale, which PostgreSQL's number parsers skip.
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

// PostgreSQL 16 added 0x/0o/0b prefixes and digit-separating underscores.
const NEWER_INTEGER_SYNTAX = /^\s*[+-]?(0[xX](_?[0-9a-fA-F])+|0[oO](_?[0-7])+|0[bB](_?[01])+|\d(_?\d)*)\s*$/;

function intCheck(type: string, min: bigint, max: bigint): FieldCheck {
  const maxDigits = max.toString().length;
  return tag(CheckKind.INTEGER, (b, s, e) => {
    // Fast path: digits only, after a minus sign or not, fewer than the type's longest value has (so in range).
    let d = s < e && b[s] === 0x2d ? s + 1 : s;
    const firstDigit = d;
    while (d < e && ((b[d] - 0x30) >>> 0) <= 9) d++;
    if (d === e && e > firstDigit && e - firstDigit < maxDigits) return VALID;
    let p = s;
    let q = e;
    while (p < q && isSpace(b[p])) p++;
    while (q > p && isSpace(b[q - 1])) q--;
    let neg = false;
    if (p < q && (b[p] === 0x2d || b[p] === 0x2b)) { neg = b[p] === 0x2d; p++; }
    const digitsStart = p;
    while (p < q && b[p] >= 0x30 && b[p] <= 0x39) p++;
    if (p === q && q > digitsStart) {
      let first = digitsStart;
      while (first < q - 1 && b[first] === 0x30) first++;
      const digits = q - first;
      if (digits < maxDigits) return VALID;
      if (digits <= maxDigits) {
        const big = BigInt(text(b, first, q));
        const signed = neg ? -big : big;
        if (signed >= min && signed <= max) return VALID;
      }
      return `value "${text(b, s, e)}" is out of range for type ${type}`;
    }
    return NEWER_INTEGER_SYNTAX.test(text(b, s, e)) ? UNSURE : invalidSyntax(type, b, s, e);
  });
}

const NUMERIC_SPECIAL = /^\s*([+-]?(inf|infinity)|nan)\s*$/i;
const NEWER_NUMERIC_SYNTAX = /^\s*[+-]?[0-9a-fA-FxXoObB_.eE+-]+\s*$/;

function numericCheck(precision: number | undefined, scale: number | undefined): FieldCheck {
  const bounded = precision !== undefined && scale !== undefined;
  const oddScale = bounded && (scale! < 0 || scale! > precision!);
  const maxIntDigits = bounded ? precision! - scale! : 0;
  return tag(CheckKind.NUMERIC, (b, s, e) => {
    // Fast path: `[-]digits[.digits]` without leading zeros (a lone 0 before the point aside) and
    // fewer integer digits than the precision leaves: certainly accepted; anything else goes the long way.
    let d = s < e && b[s] === 0x2d ? s + 1 : s;
    const intAt = d;
    while (d < e && ((b[d] - 0x30) >>> 0) <= 9) d++;
    const ints = d - intAt;
    if (d < e && b[d] === 0x2e) for (d++; d < e && ((b[d] - 0x30) >>> 0) <= 9;) d++;
    if (d === e && ints > 0 && (b[intAt] !== 0x30 || ints === 1)) {
      if (!bounded) return VALID;
      if (!oddScale && (ints === 1 && b[intAt] === 0x30 ? 0 : ints) < maxIntDigits) return VALID;
    }
    let p = s;
    let q = e;
    while (p < q && isSpace(b[p])) p++;
    while (q > p && isSpace(b[q - 1])) q--;
    if (p < q && (b[p] === 0x2d || b[p] === 0x2b)) p++;
    // Leading zeros do not count against the precision.
    while (p < q - 1 && b[p] === 0x30 && b[p + 1] !== 0x2e) p++;
    const intStart = p;
    let intDigits = 0;
    let fracDigits = 0;
    for (; p < q && b[p] >= 0x30 && b[p] <= 0x39; p++) intDigits++;
    if (p < q && b[p] === 0x2e) {
      for (p++; p < q; p++) {
        const c = b[p];
        if (c < 0x30 || c > 0x39) break;
        fracDigits++;
      }
    }
    if (p === q && intDigits + fracDigits > 0) {
      if (!bounded) return VALID;
      if (oddScale) return UNSURE;
      const significantInt = intDigits === 1 && b[intStart] === 0x30 ? 0 : intDigits;
      if (significantInt < maxIntDigits) return VALID;
      if (significantInt > maxIntDigits) return 'numeric field overflow';
      // Rounding to the scale can carry into one more integer digit (9.995 in numeric(3,2)).
      return fracDigits > scale! ? UNSURE : VALID;
    }
    const str = text(b, s, e);
    if (NUMERIC_SPECIAL.test(str) || NEWER_NUMERIC_SYNTAX.test(str)) return UNSURE;
    return invalidSyntax('numeric', b, s, e);
  });
}

const FLOAT_SPECIAL = /^\s*([+-]?(inf|infinity)|nan)\s*$/i;
const OTHER_FLOAT_SYNTAX = /^\s*[+-]?[0-9a-fA-FxXpP_.eE+-]+\s*$/;

function floatCheck(type: string, maxExponent: number): FieldCheck {
  return tag(CheckKind.FLOAT, (b, s, e) => {
    let p = s;
    let q = e;
    while (p < q && isSpace(b[p])) p++;
    while (q > p && isSpace(b[q - 1])) q--;
    if (p < q && (b[p] === 0x2d || b[p] === 0x2b)) p++;
    let intDigits = 0;
    let fracDigits = 0;
    for (; p < q && b[p] >= 0x30 && b[p] <= 0x39; p++) intDigits++;
    if (p < q && b[p] === 0x2e) for (p++; p < q && b[p] >= 0x30 && b[p] <= 0x39; p++) fracDigits++;
    // Without an exponent only very long digit strings can overflow or underflow.
    if (p === q && intDigits + fracDigits > 0 && intDigits <= maxExponent && fracDigits <= maxExponent) return VALID;
    const str = text(b, s, e);
    if (FLOAT_SPECIAL.test(str)) return VALID;
    if (OTHER_FLOAT_SYNTAX.test(str)) return UNSURE;
    return invalidSyntax(type, b, s, e);
  });
}

// PostgreSQL's parse_bool: any prefix of true/false/yes/no, on/off (two
// letters at least), 1 or 0, case-insensitive, surrounding spaces ignored.
const boolCheck: FieldCheck = tag(CheckKind.BOOLEAN, (b, s, e) => {
  const n = e - s;
  const c = b[s] | 0x20;
  if (n === 1 && (c === 0x74 || c === 0x66 || c === 0x79 || c === 0x6e || c === 0x31 || c === 0x30)) return VALID;
  if (n === 4 && c === 0x74 && (b[s + 1] | 0x20) === 0x72 && (b[s + 2] | 0x20) === 0x75 && (b[s + 3] | 0x20) === 0x65) return VALID;
  if (n === 5 && c === 0x66 && (b[s + 1] | 0x20) === 0x61 && (b[s + 2] | 0x20) === 0x6c
    && (b[s + 3] | 0x20) === 0x73 && (b[s + 4] | 0x20) === 0x65) return VALID;
  const v = text(b, s, e).trim().toLowerCase();
  if (v.length > 0) {
    if ('true'.startsWith(v) || 'false'.startsWith(v) || 'yes'.startsWith(v) || 'no'.startsWith(v)) return VALID;
    if (v === '1' || v === '0' || v === 'on' || (v.length >= 2 && 'off'.startsWith(v))) return VALID;
  }
  return invalidSyntax('boolean', b, s, e);
});

const DATE_SPECIAL = new Set(['epoch', 'infinity', '+infinity', '-infinity', 'now', 'today', 'tomorrow', 'yesterday']);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** The 2-digit number at b[p..p+2), or -1 when those bytes are not both digits or pass `end`. */
function twoDigitsAt(b: Buffer, p: number, end: number): number {
  if (p + 2 > end) return -1;
  const d1 = b[p] - 0x30;
  const d2 = b[p + 1] - 0x30;
  return d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9 ? d1 * 10 + d2 : -1;
}

/** The 4-digit number at b[p..p+4), or -1 (as twoDigitsAt). */
function fourDigitsAt(b: Buffer, p: number, end: number): number {
  const hi = twoDigitsAt(b, p, end);
  const lo = twoDigitsAt(b, p + 2, end);
  return hi >= 0 && lo >= 0 ? hi * 100 + lo : -1;
}

/** The 2-digit number at b[p..p+2), which the caller knows is before the value's end, or -1. */
function twoDigits(b: Buffer, p: number): number {
  const d1 = b[p] - 0x30;
  const d2 = b[p + 1] - 0x30;
  return d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9 ? d1 * 10 + d2 : -1;
}

/**
 * The fast path of dateTimeCheck: `YYYY-MM-DD`, and with a time
 * `YYYY-MM-DD( |T)HH:MM:SS[.digits][Z|±HH]`, every field in its everyday
 * range (year 1 on, hour below 24, second below 60, a day the month has
 * in any year). True only for values the full check finds VALID too.
 */
function plainDateTime(b: Buffer, s: number, e: number, withTime: boolean): boolean {
  const n = e - s;
  if (n < 10 || b[s + 4] !== 0x2d || b[s + 7] !== 0x2d) return false;
  const yh = twoDigits(b, s);
  const yl = twoDigits(b, s + 2);
  const mo = twoDigits(b, s + 5);
  const d = twoDigits(b, s + 8);
  if (yh < 0 || yl < 0 || (yh === 0 && yl === 0) || mo < 1 || mo > 12 || d < 1 || d > DAYS_IN_MONTH[mo - 1]) return false;
  if (n === 10) return true;
  if (!withTime || n < 19 || (b[s + 10] !== 0x20 && b[s + 10] !== 0x54) || b[s + 13] !== 0x3a || b[s + 16] !== 0x3a) return false;
  const hh = twoDigits(b, s + 11);
  const mi = twoDigits(b, s + 14);
  const ss = twoDigits(b, s + 17);
  if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59) return false;
  let p = s + 19;
  if (p < e && b[p] === 0x2e) for (p++; p < e && b[p] >= 0x30 && b[p] <= 0x39;) p++;
  if (p === e) return true;
  if (b[p] === 0x5a || b[p] === 0x7a) return p + 1 === e;
  if ((b[p] === 0x2b || b[p] === 0x2d) && p + 3 === e) {
    const tzh = twoDigits(b, p + 1);
    return tzh >= 0 && tzh <= 14;
  }
  return false;
}

/**
 * ISO `YYYY-MM-DD[( |T)HH:MM[:SS[.frac]]][Z|±HH[[:]MM]]` is judged here; that
 * shape with a field out of range is certainly rejected. A lone word that is
 * not one of PostgreSQL's special values is certainly rejected too. Every
 * other spelling (month names, other date orders, BC) is left to PostgreSQL.
 */
function dateTimeCheck(type: string, withTime: boolean): FieldCheck {
  return tag(CheckKind.DATE_TIME, (b, s, e) => {
    if (plainDateTime(b, s, e, withTime)) return VALID;
    const n = e - s;
    if (n >= 10 && b[s + 4] === 0x2d && b[s + 7] === 0x2d) {
      const y = fourDigitsAt(b, s, e);
      const mo = twoDigitsAt(b, s + 5, e);
      const d = twoDigitsAt(b, s + 8, e);
      if (y >= 0 && mo >= 0 && d >= 0) {
        let p = s + 10;
        let ok = true;
        if (p < e) {
          if (!withTime) return UNSURE;
          ok = false;
          if ((b[p] === 0x20 || b[p] === 0x54) && p + 6 <= e && b[p + 3] === 0x3a) {
            const hh = twoDigitsAt(b, p + 1, e);
            const mi = twoDigitsAt(b, p + 4, e);
            p += 6;
            let ss = 0;
            if (p < e && b[p] === 0x3a) { ss = twoDigitsAt(b, p + 1, e); p += 3; }
            if (ss >= 0 && p < e && b[p] === 0x2e) { p++; while (p < e && b[p] >= 0x30 && b[p] <= 0x39) p++; }
            if (p < e && (b[p] === 0x5a || b[p] === 0x7a)) {p++;} else if (p < e && (b[p] === 0x2b || b[p] === 0x2d)) {
              const tzh = twoDigitsAt(b, p + 1, e);
              if (tzh < 0 || tzh > 14) return UNSURE;
              p += 3;
              if (p < e && b[p] === 0x3a) p++;
              const tzm = twoDigitsAt(b, p, e);
              if (tzm > 59) return UNSURE;
              if (tzm >= 0) p += 2;
            }
            if (p !== e || hh < 0 || mi < 0 || ss < 0) return UNSURE;
            // 24:00:00 and leap second 60 have special rules; let PostgreSQL judge them.
            if (hh === 24 || ss === 60) return UNSURE;
            if (hh > 24 || mi > 59 || ss > 60) return `date/time field value out of range: "${text(b, s, e)}"`;
            ok = true;
          }
        }
        if (!ok) return UNSURE;
        if (y === 0) return UNSURE;
        // Whether the year is a leap year matters for February 29th only.
        if (mo < 1 || mo > 12 || d < 1 || (d > DAYS_IN_MONTH[mo - 1] && !(mo === 2 && d === 29 && isLeapYear(y)))) {
          return `date/time field value out of range: "${text(b, s, e)}"`;
        }
        return VALID;
      }
    }
    const word = text(b, s, e).trim().toLowerCase();
    if (DATE_SPECIAL.has(word)) return VALID;
    if (word === '' || /^[a-z]+$/.test(word)) return invalidSyntax(type, b, s, e);
    return UNSURE;
  });
}

/** varchar(n)/char(n): longer values fail unless the excess is only spaces (which PostgreSQL trims). */
function lengthCheck(type: string, max: number): FieldCheck {
  return (b, s, e) => {
    if (e - s <= max) return VALID;
    let chars = 0;
    for (let p = s; p < e; p++) {
      if ((b[p] & 0xc0) !== 0x80) {
        chars++;
        if (chars > max && b[p] !== 0x20) return `value too long for type ${type}`;
      }
    }
    return VALID;
  };
}

const CANONICAL_UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const OTHER_UUID = /^\s*\{?[0-9a-fA-F-]+\}?\s*$/;

const uuidCheck: FieldCheck = (b, s, e) => {
  const v = text(b, s, e);
  if (CANONICAL_UUID.test(v)) return VALID;
  return OTHER_UUID.test(v) ? UNSURE : invalidSyntax('uuid', b, s, e);
};
