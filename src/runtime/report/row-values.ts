/**
 * Where a report's columns are in a file's header, and each record's values
 * read from them: the group-by values as strings, the measured values typed
 * (sum/min/max: exact decimals; distinctCount: a hash of the bytes). A
 * column measured several times is parsed once per record.
 */
import { Decimal, parseDecimal } from './decimal';
import { hashValue } from './hll';
import type { MeasureValue } from './measures';
import type { ReportShape } from './summary';
import { InputError } from '../contract/errors';
import { CsvScanner, unquote } from '../load/csv-scanner';

/** A record whose value does not parse: the column and the reason. */
export interface BadValue {
  readonly column: string;
  readonly reason: string;
}

export class RowReader {
  /** Field index of each group-by column. */
  private readonly groupFields: number[];
  /** For each measure: where its value is in `numbers` / `hashes` (-1: count, no value). */
  private readonly slots: { kind: 'number' | 'hash' | 'none'; slot: number }[];
  private readonly numberFields: number[] = [];
  private readonly hashFields: number[] = [];
  private readonly numbers: (Decimal | null)[];
  private readonly hashes: (number | null)[];
  readonly groupValues: (string | null)[] = [];
  readonly measureValues: MeasureValue[] = [];

  /** Throws an InputError naming the column and the header when a column of the report is not in it. */
  constructor(shape: ReportShape, private readonly names: readonly string[], headerLine: number) {
    const found = names.map((n) => `"${n}"`).join(', ');
    const fieldOf = (column: string, use: string): number => {
      const at = names.indexOf(column);
      if (at < 0) throw new InputError(`line ${headerLine}: column "${column}" (${use}) is missing from the header (found: ${found})`, headerLine, column);
      if (names.indexOf(column, at + 1) >= 0) {
        throw new InputError(`line ${headerLine}: column "${column}" appears more than once in the header`, headerLine, column);
      }
      return at;
    };
    this.groupFields = shape.groupBy.map((c) => fieldOf(c, 'groupBy'));
    this.slots = shape.measures.map((m) => {
      if (m.kind === 'count') return { kind: 'none' as const, slot: -1 };
      const field = fieldOf(m.column!, `measure ${m.name}`);
      const list = m.kind === 'distinctCount' ? this.hashFields : this.numberFields;
      if (!list.includes(field)) list.push(field);
      return { kind: m.kind === 'distinctCount' ? 'hash' as const : 'number' as const, slot: list.indexOf(field) };
    });
    this.numbers = this.numberFields.map(() => null);
    this.hashes = this.hashFields.map(() => null);
  }

  /**
   * Reads the record in `scanner` into `groupValues` and `measureValues`;
   * returns the first value that does not parse, if any (then neither is
   * complete).
   */
  read(scanner: CsvScanner, buf: Buffer): BadValue | undefined {
    for (let i = 0; i < this.numberFields.length; i++) {
      const f = this.numberFields[i];
      const text = fieldText(scanner, buf, f);
      if (text === null) { this.numbers[i] = null; continue; }
      const d = parseDecimal(text);
      if (typeof d === 'string') return { column: this.names[f], reason: d };
      this.numbers[i] = d;
    }
    for (let i = 0; i < this.hashFields.length; i++) {
      const f = this.hashFields[i];
      const s = scanner.fieldStart[f];
      const e = scanner.fieldEnd[f];
      if (scanner.fieldQuoted[f]) {
        const v = unquote(buf, s, e);
        this.hashes[i] = hashValue(v, 0, v.length);
      } else {
        this.hashes[i] = s === e ? null : hashValue(buf, s, e);
      }
    }
    for (let i = 0; i < this.groupFields.length; i++) this.groupValues[i] = fieldText(scanner, buf, this.groupFields[i]);
    for (let i = 0; i < this.slots.length; i++) {
      const { kind, slot } = this.slots[i];
      this.measureValues[i] = kind === 'number' ? this.numbers[slot] : kind === 'hash' ? this.hashes[slot] : null;
    }
    return undefined;
  }
}

/** The field's value as text; null for an empty unquoted field (NULL, as COPY reads it). */
function fieldText(scanner: CsvScanner, buf: Buffer, f: number): string | null {
  const s = scanner.fieldStart[f];
  const e = scanner.fieldEnd[f];
  if (scanner.fieldQuoted[f]) return unquote(buf, s, e).toString('utf8');
  return s === e ? null : buf.toString('utf8', s, e);
}
