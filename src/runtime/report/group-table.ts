/**
 * The live aggregates of a report: one entry per group (the distinct
 * combinations of the group-by values seen), each with one accumulator per
 * measure. Memory is the number of groups times the measures' size (a few
 * dozen bytes, up to 4 KiB for a distinct count), whatever the number of
 * rows; past `maxGroups` adding a group throws GroupLimitError.
 *
 * Summaries merge into a table exactly: merging the summaries of a file's
 * chunks in file order gives the summary of one pass over the file.
 */
import { Accumulator, accumulatorFromJson, MeasureValue, newAccumulator } from './measures';
import { ReportShape, ReportSummary, shapeMismatch, SummaryGroup, SUMMARY_FORMAT } from './summary';
import { InputError } from '../contract/errors';

/**
 * More groups than `maxGroups`: a problem of the file (or of the files
 * merged) that the user fixes in the configuration, so an InputError; the
 * message names the limit and the columns.
 */
export class GroupLimitError extends InputError {
  constructor(shape: ReportShape, context: string, line?: number) {
    const columns = shape.groupBy.length ? `(${shape.groupBy.join(', ')})` : '()';
    super(`${context}more than ${shape.maxGroups} groups of ${columns} (maxGroups); `
      + 'group by fewer or coarser columns, or raise maxGroups (memory grows with the number of groups)', line);
    this.name = 'GroupLimitError';
  }
}

interface Group {
  readonly values: readonly (string | null)[];
  readonly measures: Accumulator[];
}

/** A map key for group-by values: no value holds a NUL (such rows are bad UTF-8 rows), so `\0` separates. */
export function groupKey(values: readonly (string | null)[]): string {
  let key = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    key += (i ? '\0' : '') + (v === null ? 'N' : `V${v}`);
  }
  return key;
}

export class GroupTable {
  /** Rows aggregated. */
  rows = 0;
  private readonly groups = new Map<string, Group>();

  constructor(readonly shape: ReportShape) {}

  get size(): number {
    return this.groups.size;
  }

  /** Adds one row; `context` starts the limit error's message (`file ... line N: `). */
  addRow(key: string, values: readonly (string | null)[], measureValues: readonly MeasureValue[], context: () => string, line?: number): void {
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size >= this.shape.maxGroups) throw new GroupLimitError(this.shape, context(), line);
      group = { values: [...values], measures: this.shape.measures.map((m) => newAccumulator(m.kind)) };
      this.groups.set(key, group);
    }
    this.rows++;
    for (let i = 0; i < measureValues.length; i++) group.measures[i].add(measureValues[i]);
  }

  /**
   * Adds a summary's groups. All or nothing: a summary of another shape, one
   * that does not parse, or one that would take the table past `maxGroups`
   * throws (naming `where`) before anything changes.
   */
  merge(summary: unknown, where: string, limitContext = `${where}: `): void {
    const parsed = this.parse(summary, where);
    let added = 0;
    for (const g of parsed.groups) if (!this.groups.has(g.key)) added++;
    if (this.groups.size + added > this.shape.maxGroups) throw new GroupLimitError(this.shape, limitContext);
    this.rows += parsed.rows;
    for (const g of parsed.groups) {
      const mine = this.groups.get(g.key);
      if (!mine) {
        this.groups.set(g.key, g.group);
        continue;
      }
      mine.measures.forEach((acc, i) => acc.merge(g.group.measures[i]));
    }
  }

  toSummary(): ReportSummary {
    const sorted = [...this.groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const { groupBy, measures } = this.shape;
    const groups = sorted.map(([, g]): SummaryGroup => {
      const sketches: Record<string, string> = {};
      measures.forEach((m, i) => {
        const sketch = g.measures[i].sketch?.();
        if (sketch !== undefined) sketches[m.name] = sketch;
      });
      return {
        group: Object.fromEntries(groupBy.map((c, i) => [c, g.values[i]])),
        measures: Object.fromEntries(measures.map((m, i) => [m.name, g.measures[i].result()])),
        ...(Object.keys(sketches).length ? { sketches } : {}),
      };
    });
    return { format: SUMMARY_FORMAT, groupBy: [...groupBy], measures: [...measures], maxGroups: this.shape.maxGroups, rows: this.rows, groups };
  }

  private parse(summary: unknown, where: string): { rows: number; groups: { key: string; group: Group }[] } {
    const s = summary as ReportSummary;
    if (typeof s !== 'object' || s === null || s.format !== SUMMARY_FORMAT) {
      throw new Error(`${where}: not a report summary (format ${JSON.stringify((s as { format?: unknown } | null)?.format)}, expected "${SUMMARY_FORMAT}")`);
    }
    const mismatch = shapeMismatch(this.shape, s);
    if (mismatch) throw new Error(`${where}: ${mismatch}`);
    if (!Array.isArray(s.groups) || typeof s.rows !== 'number') throw new Error(`${where}: a report summary needs "rows" and "groups"`);
    const { groupBy, measures } = this.shape;
    const groups = s.groups.map((g, n) => {
      const at = `${where} groups[${n}]`;
      const values = groupBy.map((c) => {
        const v = g?.group?.[c];
        if (v !== null && typeof v !== 'string') throw new Error(`${at}: group value of "${c}" must be a string or null`);
        return v;
      });
      const group: Group = {
        values,
        measures: measures.map((m) => accumulatorFromJson(m.kind, g.measures?.[m.name], g.sketches?.[m.name], `${at} ${m.name}`)),
      };
      return { key: groupKey(values), group };
    });
    return { rows: s.rows, groups };
  }
}
