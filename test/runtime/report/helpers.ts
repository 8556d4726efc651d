/**
 * Running the report sink as the processor does (whole, or in the chunks
 * the real chunker cuts), and an independent reference computation: a
 * plain CSV parser and plain aggregation, sharing no code with the sink.
 */
import { Readable } from 'stream';
import { segmentsOf } from '../../../src/runtime/checkpoint/chunker';
import { readFileHead } from '../../../src/runtime/checkpoint/file-head';
import type { FileContext, SinkOutcome } from '../../../src/runtime/contract/sink-api';
import { createReportSink, HLL_STANDARD_ERROR, SPARSE_LIMIT } from '../../../src/runtime/report';
import type { ReportSinkConfig } from '../../../src/shared/report-sink-config';

export const FILE: FileContext = { fileId: 1, bucket: 'in', key: 'day/sales.csv', version: 'v1' };

export function report(over: Partial<ReportSinkConfig> & Pick<ReportSinkConfig, 'measures'>): ReportSinkConfig {
  return { kind: 'report', groupBy: [], badRows: 'FAIL_FILE', ...over };
}

export function bytesOf(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** The data in small pieces, so records straddle stream chunks. */
export function pieces(data: Buffer | string, size = 7): () => Promise<Readable> {
  const buf = bytesOf(data);
  return async () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
    return Readable.from(parts, { objectMode: false });
  };
}

export async function loadWhole(config: ReportSinkConfig, data: Buffer | string, size = 64 * 1024): Promise<SinkOutcome> {
  return createReportSink(config).load(undefined, FILE, pieces(data, size));
}

/**
 * Loads the file as a checkpointed load does: header + `rows` line ends per
 * chunk, cut by the processor's chunker, each chunk a `load()` of its own,
 * then the chunks' summaries combined in file order.
 */
export async function loadChunked(config: ReportSinkConfig, data: Buffer | string, rows: number) {
  const sink = createReportSink(config);
  const head = await readFileHead(await pieces(data, 64 * 1024)());
  const segments = segmentsOf(head.header.rest, head.header.source, {
    start: head.dataOffset, firstLine: head.header.lines + 1, rows, maxBytes: 32 * 1024 * 1024,
  });
  const outcomes: SinkOutcome[] = [];
  let first = true;
  for await (const segment of segments) {
    const chunk = Buffer.concat([head.headerBytes, ...segment.buffers]);
    outcomes.push(await sink.load(undefined, {
      ...FILE, chunk: { firstLine: segment.firstLine, first, nextLine: segment.nextLine, last: segment.last },
    }, pieces(chunk, 64 * 1024)));
    first = false;
  }
  return {
    chunks: outcomes.length,
    rowsLoaded: outcomes.reduce((n, o) => n + o.rowsLoaded, 0),
    rowsRejected: outcomes.reduce((n, o) => n + o.rowsRejected, 0),
    summary: sink.combineSummaries!(outcomes.map((o) => o.summary!)),
  };
}

/** A record of the reference parser: its physical line and fields (null: empty and unquoted). */
export interface RefRecord {
  readonly line: number;
  readonly fields: (string | null)[];
}

/** A deliberately simple CSV reader (RFC 4180 plus NULL for empty unquoted fields); the header is records[0]. */
export function parseCsv(text: string): RefRecord[] {
  const records: RefRecord[] = [];
  let fields: (string | null)[] = [];
  let cur = '';
  let quoted = false;
  let inQuote = false;
  let line = 1;
  let start = 1;
  const endField = () => { fields.push(cur === '' && !quoted ? null : cur); cur = ''; quoted = false; };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuote && ch === '"' && text[i + 1] === '"') {
      cur += '"';
      i++;
    } else if (ch === '"') {
      inQuote = !inQuote;
      quoted = true;
    } else if (inQuote || (ch !== ',' && ch !== '\n')) {
      if (ch === '\n') line++;
      cur += ch;
    } else if (ch === ',') {
      endField();
    } else {
      endField();
      if (!(fields.length === 1 && fields[0] === null)) records.push({ line: start, fields });
      fields = [];
      line++;
      start = line;
    }
  }
  if (cur !== '' || fields.length > 0) { endField(); records.push({ line: start, fields }); }
  return records;
}

/** Exact decimal as [units, scale] by string surgery (no exponents in the generated data). */
function scaled(text: string): [bigint, number] {
  const [int, frac = ''] = text.trim().split('.');
  return [BigInt(int + frac), frac.length];
}

function atScale([units, scale]: [bigint, number], to: number): bigint {
  return units * 10n ** BigInt(to - scale);
}

function show(units: bigint, scale: number): string {
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return neg ? `-${text}` : text;
}

export interface RefGroup {
  group: Record<string, string | null>;
  measures: Record<string, number | string | null>;
}

/**
 * The expected groups (measures named as the sink names them by default),
 * with exact distinct counts. `skip` leaves records out (the bad ones).
 */
export function referenceGroups(records: RefRecord[], config: ReportSinkConfig, skip: (r: RefRecord) => boolean = () => false): RefGroup[] {
  const header = records[0].fields as string[];
  const col = (name: string) => header.indexOf(name);
  const groups = new Map<string, { group: Record<string, string | null>; rows: RefRecord[] }>();
  for (const r of records.slice(1)) {
    if (skip(r)) continue;
    const group = Object.fromEntries(config.groupBy.map((c) => [c, r.fields[col(c)]]));
    const key = JSON.stringify(group);
    if (!groups.has(key)) groups.set(key, { group, rows: [] });
    groups.get(key)!.rows.push(r);
  }
  return [...groups.values()].map(({ group, rows }) => {
    const measures: Record<string, number | string | null> = {};
    for (const m of config.measures) {
      const name = m.name ?? (m.kind === 'count' ? 'count' : `${m.kind === 'distinctCount' ? 'distinct' : m.kind}_${m.column}`);
      const values = m.column === undefined ? [] : rows.map((r) => r.fields[col(m.column!)]).filter((v): v is string => v !== null);
      if (m.kind === 'count') { measures[name] = rows.length; continue; }
      if (m.kind === 'distinctCount') { measures[name] = new Set(values).size; continue; }
      if (values.length === 0) { measures[name] = null; continue; }
      const nums = values.map(scaled);
      const scale = Math.max(...nums.map(([, s]) => s));
      if (m.kind === 'sum') {
        measures[name] = show(nums.reduce((acc, n) => acc + atScale(n, scale), 0n), scale);
      } else {
        const sign = m.kind === 'min' ? 1n : -1n;
        let best = 0;
        nums.forEach((n, i) => { if (sign * (atScale(n, scale) - atScale(nums[best], scale)) < 0n) best = i; });
        measures[name] = show(...nums[best]);
      }
    }
    return { group, measures };
  });
}

export function byGroup<T extends { group: Record<string, string | null> }>(groups: readonly T[]): T[] {
  return [...groups].sort((a, b) => (JSON.stringify(a.group) < JSON.stringify(b.group) ? -1 : 1));
}

/**
 * Expects the sink's groups (sketches left out) to equal the reference's,
 * in any order. A distinct count is exact up to SPARSE_LIMIT values; above,
 * it must be within 4 standard errors of the exact one. Returns how many
 * distinct counts were estimates.
 */
export function expectGroups(actual: readonly RefGroup[], expected: readonly RefGroup[], distinct: readonly string[]): number {
  const got = byGroup(actual.map(({ group, measures }) => ({ group, measures: { ...measures } })));
  const want = byGroup(expected);
  let estimated = 0;
  want.forEach((g, i) => {
    for (const name of distinct) {
      const exact = g.measures[name] as number;
      const estimate = got[i]?.measures[name] as number;
      if (exact > SPARSE_LIMIT && Math.abs(estimate - exact) / exact < 4 * HLL_STANDARD_ERROR) {
        got[i].measures[name] = exact;
        estimated++;
      }
    }
  });
  expect(got).toEqual(want);
  return estimated;
}
