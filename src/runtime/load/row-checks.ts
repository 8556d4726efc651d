import { CsvScanner, unquote } from './csv-scanner';
import { CheckKind, checkKindOf, FieldCheck, fieldCheckFor, UNSURE, VALID, Verdict } from './field-types';
import type { ColumnPlan } from './header';
import type { PostgresTableSinkConfig } from '../../shared/sink-config';

/**
 * The NULL and type checks of a record's fields, as PostgreSQL makes them:
 * the first field (in file order) whose value its column's type refuses
 * gives the reason; without one, the first NULL in a NOT NULL column does
 * (PostgreSQL converts every field before it checks NOT NULL).
 *
 * A plain function of its own, apart from the async loop that reads the
 * file, with one call site per kind of check: each site sees one check
 * function, which the engine can then inline, where one site for all of
 * them made every check a generic call.
 */
export class RowChecks {
  /** After `run`: why PostgreSQL would refuse the record, or undefined. */
  reason: string | undefined;
  /** After `run`: the column the reason is about. */
  column: string | undefined;
  /** After `run` without a reason: whether a check could not judge a value (PostgreSQL may still refuse the record). */
  unsure = false;

  private readonly names: string[];
  private readonly checks: FieldCheck[];
  private readonly kinds: CheckKind[];
  private readonly nullable: boolean[];
  private readonly fieldToColumn: number[];
  private readonly fieldCount: number;

  constructor(config: PostgresTableSinkConfig, plan: ColumnPlan) {
    this.names = config.columns.map((c) => c.name);
    this.checks = config.columns.map((c) => fieldCheckFor(c.type));
    this.kinds = this.checks.map(checkKindOf);
    this.nullable = config.columns.map((c) => c.nullable);
    this.fieldToColumn = plan.fieldToColumn;
    this.fieldCount = plan.fieldCount;
  }

  /** Checks the fields of the record `scanner` found in `buf` (which has the plan's number of fields). */
  run(buf: Buffer, scanner: CsvScanner): void {
    const { names, checks, kinds, nullable, fieldToColumn, fieldCount } = this;
    const fs = scanner.fieldStart;
    const fe = scanner.fieldEnd;
    const fq = scanner.fieldQuoted;
    let reason: string | undefined;
    let column: string | undefined;
    let unsure = false;
    let nullColumn: string | undefined;
    for (let f = 0; f < fieldCount; f++) {
      const c = fieldToColumn[f];
      if (c < 0) continue;
      let s = fs[f];
      let e = fe[f];
      const quoted = fq[f] === 1;
      if (!quoted && s === e) {
        if (!nullable[c] && nullColumn === undefined) nullColumn = names[c];
        continue;
      }
      const kind = kinds[c];
      if (kind === CheckKind.ANY_TEXT) continue;
      let b = buf;
      if (quoted) {
        b = unquote(buf, s, e);
        s = 0;
        e = b.length;
      }
      const check = checks[c];
      let verdict: Verdict;
      switch (kind) {
        case CheckKind.INTEGER: verdict = check(b, s, e); break;
        case CheckKind.NUMERIC: verdict = check(b, s, e); break;
        case CheckKind.DATE_TIME: verdict = check(b, s, e); break;
        case CheckKind.BOOLEAN: verdict = check(b, s, e); break;
        case CheckKind.FLOAT: verdict = check(b, s, e); break;
        default: verdict = check(b, s, e);
      }
      if (verdict === VALID) continue;
      if (verdict === UNSURE) { unsure = true; continue; }
      reason = verdict;
      column = names[c];
      break;
    }
    if (reason === undefined && nullColumn !== undefined) {
      reason = `null value in column "${nullColumn}" violates not-null constraint`;
      column = nullColumn;
    }
    this.reason = reason;
    this.column = column;
    this.unsure = unsure;
  }
}
