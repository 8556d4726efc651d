/**
 * JSON shape of the aggregate report sink in `PIPELINE_SINKS` (and the CLI's
 * `--config` file), written by `Sink.report()` and read by the runtime's
 * report sink (src/runtime/report/). Not part of the public jsii API.
 *
 * The rules below are the one set both sides apply: `Sink.report()` at synth
 * time and the runtime when it reads PIPELINE_SINKS, so a report that
 * synthesizes is one the processor accepts.
 */

export type MeasureKind = 'count' | 'sum' | 'min' | 'max' | 'distinctCount';

export interface MeasureConfig {
  readonly kind: MeasureKind;
  /** The measured CSV column (every kind but `count`). */
  readonly column?: string;
  /** Name of the measure in the report; default e.g. `sum_amount`, `count`. */
  readonly name?: string;
}

export interface ReportSinkConfig {
  readonly kind: 'report';
  /** CSV columns the rows are grouped by (at most a few); empty: one group. */
  readonly groupBy: readonly string[];
  readonly measures: readonly MeasureConfig[];
  /** What a row whose measured value does not parse does. Default FAIL_FILE. */
  readonly badRows?: 'FAIL_FILE' | 'SKIP_AND_REPORT';
  /** Most groups one report holds; past it the file fails with a clear error. */
  readonly maxGroups?: number;
}

/** Most group-by columns: a report is read by people, and each column multiplies the groups. */
export const MAX_GROUP_BY_COLUMNS = 5;
/** Most measures of one report sink. */
export const MAX_MEASURES = 50;
/** Default `maxGroups`. */
export const DEFAULT_MAX_GROUPS = 10_000;
/** Largest `maxGroups` accepted: beyond it the per-file result document gets too large to read. */
export const MAX_MAX_GROUPS = 1_000_000;

const KINDS: readonly MeasureKind[] = ['count', 'sum', 'min', 'max', 'distinctCount'];
const PREFIX: Record<MeasureKind, string> = { count: 'count', sum: 'sum', min: 'min', max: 'max', distinctCount: 'distinct' };

/** The name a measure has in the report: its `name`, else `count` or `<kind>_<column>` (`distinct_<column>` for distinctCount). */
export function measureName(m: MeasureConfig): string {
  if (m.name !== undefined) return m.name;
  return m.kind === 'count' ? 'count' : `${PREFIX[m.kind]}_${m.column}`;
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v);
}

function columnProblem(value: unknown, where: string): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return `${where} must be a non-empty column name, got ${show(value)}`;
  if (value !== value.trim()) return `${where} ${show(value)} has leading or trailing white space (header names are trimmed, so it would never match)`;
  return undefined;
}

/**
 * Everything wrong with a report sink configuration, each naming the option
 * as the user wrote it (`groupBy[1]`, `measures[0].column`, `maxGroups`);
 * empty when it is fine.
 */
export function reportSinkConfigProblems(config: ReportSinkConfig): string[] {
  const problems: string[] = [];
  const groupBy: unknown = config.groupBy;
  if (!Array.isArray(groupBy)) {
    problems.push(`groupBy must be a list of column names, got ${show(groupBy)}`);
  } else {
    if (groupBy.length > MAX_GROUP_BY_COLUMNS) {
      problems.push(`groupBy has ${groupBy.length} columns; at most ${MAX_GROUP_BY_COLUMNS} are allowed (each one multiplies the groups)`);
    }
    groupBy.forEach((c, i) => {
      const p = columnProblem(c, `groupBy[${i}]`);
      if (p) problems.push(p);
      else if (groupBy.indexOf(c) !== i) problems.push(`groupBy[${i}] ${show(c)} is listed twice`);
    });
  }
  const measures: unknown = config.measures;
  if (!Array.isArray(measures) || measures.length === 0) {
    problems.push(`measures must list at least one measure (e.g. Measure.count()), got ${show(measures)}`);
  } else {
    if (measures.length > MAX_MEASURES) problems.push(`measures has ${measures.length} entries; at most ${MAX_MEASURES} are allowed`);
    const names = new Map<string, number>();
    measures.forEach((m: MeasureConfig, i) => {
      const where = `measures[${i}]`;
      if (typeof m !== 'object' || m === null) { problems.push(`${where} must be a measure, got ${show(m)}`); return; }
      if (!KINDS.includes(m.kind)) { problems.push(`${where}.kind must be one of ${KINDS.join(', ')}, got ${show(m.kind)}`); return; }
      if (m.kind === 'count') {
        if (m.column !== undefined) problems.push(`${where}: count counts rows and takes no column, got column ${show(m.column)}`);
      } else {
        const p = columnProblem(m.column, `${where}.column`);
        if (p) problems.push(p);
      }
      if (m.name !== undefined && (typeof m.name !== 'string' || m.name.trim() === '' || m.name.length > 128)) {
        problems.push(`${where}.name must be a non-empty string of at most 128 characters, got ${show(m.name)}`);
        return;
      }
      const name = measureName(m);
      const first = names.get(name);
      if (first !== undefined) problems.push(`${where} is named "${name}" like measures[${first}]; give one of them another name`);
      else names.set(name, i);
    });
  }
  if (config.badRows !== undefined && config.badRows !== 'FAIL_FILE' && config.badRows !== 'SKIP_AND_REPORT') {
    problems.push(`badRows must be FAIL_FILE or SKIP_AND_REPORT, got ${show(config.badRows)}`);
  }
  const max: unknown = config.maxGroups;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_MAX_GROUPS)) {
    problems.push(`maxGroups must be a whole number from 1 to ${MAX_MAX_GROUPS}, got ${show(max)}`);
  }
  return problems;
}
