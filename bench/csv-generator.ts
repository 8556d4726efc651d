/**
 * Deterministic CSV for the loader benchmark and the large correctness test:
 * 8 mixed-type columns (bigint, integer, numeric(12,2), text with quoted
 * commas and embedded quotes, timestamptz, boolean, date, nullable text with
 * the odd quoted newline), about 150 bytes per row. With `badEvery` every
 * n-th row is broken in one of the ways the bad-row policy handles.
 */
import * as fs from 'fs';
import type { PostgresTableSinkConfig } from '../src/shared/sink-config';

export const BENCH_TABLE_CONFIG: PostgresTableSinkConfig = {
  kind: 'postgresTable',
  schema: 'public',
  table: 'bench_orders',
  columns: [
    { name: 'id', type: 'bigint', nullable: false },
    { name: 'qty', type: 'integer', nullable: false },
    { name: 'price', type: 'numeric(12,2)', nullable: false },
    { name: 'customer', type: 'text', nullable: false },
    { name: 'created_at', type: 'timestamptz', nullable: false },
    { name: 'active', type: 'boolean', nullable: false },
    { name: 'ship_day', type: 'date', nullable: true },
    { name: 'note', type: 'text', nullable: true },
  ],
  badRows: 'FAIL_FILE',
  extraColumns: 'IGNORE',
};

export const BAD_ROW_KINDS = ['type mismatch', 'bad date', 'wrong column count', 'NULL in NOT NULL column', 'invalid UTF-8', 'bad quoting'] as const;

const FIRST = ['Ana', 'Bo', 'Chen', 'Dana', 'Eli', 'Fatima', 'Gus', 'Hiro', 'Ines', 'Jon', 'Kai', 'Lena'];
const LAST = ['Smith', 'Okafor', 'Garcia', 'Müller', 'Nguyen', "O'Brien", 'Rossi', 'Kowalski', 'Silva', 'Dubois'];
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike', 'oscar'];
const BOOLS = ['true', 'false', 't', 'f'];

/** mulberry32: small, fast and the same on every machine (a failure replays from its seed). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

export interface GeneratedCsv {
  readonly path: string;
  readonly rows: number;
  /** Rows deliberately broken (0 unless badEvery is set). */
  readonly badRows: number;
  readonly bytes: number;
}

/** Writes the CSV (header + `rows` data rows) to `path`, reusing an existing file of the same name. */
export async function generateCsv(path: string, rows: number, badEvery = 0): Promise<GeneratedCsv> {
  const statsPath = `${path}.json`;
  if (fs.existsSync(path) && fs.existsSync(statsPath)) return JSON.parse(fs.readFileSync(statsPath, 'utf8')) as GeneratedCsv;
  const tmp = `${path}.tmp`;
  const out = fs.createWriteStream(tmp);
  const rand = prng(20240601);
  const base = Date.UTC(2022, 0, 1);
  let parts: (string | Buffer)[] = ['id,qty,price,customer,created_at,active,ship_day,note\n'];
  let pending = '';
  let bad = 0;
  const flush = async (): Promise<void> => {
    if (pending) parts.push(pending);
    pending = '';
    const buf = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
    parts = [];
    if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  for (let i = 1; i <= rows; i++) {
    const qty = Math.floor(rand() * 101000) - 1000;
    const price = (rand() * 100000).toFixed(2);
    const f = FIRST[Math.floor(rand() * FIRST.length)];
    const l = LAST[Math.floor(rand() * LAST.length)];
    const r = rand();
    const customer = r < 0.5 ? `"${l}, ${f} ""${f.slice(0, 2).toUpperCase()}"" ${i % 97}"` : r < 0.8 ? `${f} ${l}` : `"${l}, ${f}"`;
    const ts = new Date(base + Math.floor(rand() * 3 * 365 * 86400_000)).toISOString();
    const createdAt = `${ts.slice(0, 10)} ${ts.slice(11, 23)}+00`;
    const active = BOOLS[Math.floor(rand() * 4)];
    const dayMs = base + Math.floor(rand() * 1000) * 86400_000;
    const d = new Date(dayMs);
    const shipDay = rand() < 0.1 ? '' : `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
    const nWords = 8 + Math.floor(rand() * 9);
    const words: string[] = [];
    for (let w = 0; w < nWords; w++) words.push(WORDS[Math.floor(rand() * WORDS.length)]);
    const rn = rand();
    const note = rn < 0.05 ? '' : i % 1000 === 7 ? `"${words.join(' ')}\nsecond line, ""quoted"""` : words.join(' ');

    let row = `${i},${qty},${price},${customer},${createdAt},${active},${shipDay},${note}\n`;
    if (badEvery > 0 && i % badEvery === Math.floor(badEvery / 2)) {
      bad++;
      switch (BAD_ROW_KINDS[Math.floor(i / badEvery) % BAD_ROW_KINDS.length]) {
        case 'type mismatch': row = `${i},n/a,${price},${customer},${createdAt},${active},${shipDay},${note}\n`; break;
        case 'bad date': row = `${i},${qty},${price},${customer},${createdAt},${active},2023-02-30,${note}\n`; break;
        case 'wrong column count': row = `${i},${qty},${price},${customer},${createdAt},${active}\n`; break;
        case 'NULL in NOT NULL column': row = `${i},${qty},${price},,${createdAt},${active},${shipDay},${note}\n`; break;
        case 'invalid UTF-8':
          parts.push(pending, Buffer.from(`${i},${qty},${price},${customer},${createdAt},${active},${shipDay},caf`), Buffer.from([0xe9, 0x21]), Buffer.from('\n'));
          pending = '';
          row = '';
          break;
        case 'bad quoting': row = `${i},${qty},${price},"${f} ${l},${createdAt},${active},${shipDay},${words[0]}\n`; break;
      }
    }
    pending += row;
    if (i % 5000 === 0) await flush();
  }
  await flush();
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  fs.renameSync(tmp, path);
  const stats: GeneratedCsv = { path, rows, badRows: bad, bytes: fs.statSync(path).size };
  fs.writeFileSync(statsPath, JSON.stringify(stats));
  return stats;
}
