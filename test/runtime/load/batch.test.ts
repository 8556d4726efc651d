import { Batch } from '../../../src/runtime/load/batch';

/** A batch's bytes as COPY gets them, and each row's bytes as a reject lists them. */
function contents(batch: Batch, skip: Set<number> = new Set()): { sent: string; rows: string[] } {
  const sent = Buffer.concat([...batch.slices(skip, 5)]).toString();
  const rows: string[] = [];
  for (let i = 0; i < batch.count; i++) rows.push(batch.rowBytes(i).toString());
  return { sent, rows };
}

test('rows put as runs of their source are in the batch exactly as rows put one by one', () => {
  const src = Buffer.from('1,a\n2,b\n3,c\n4,d\n');
  const byRun = new Batch(64, 8);
  const oneByOne = new Batch(64, 8);
  for (const [s, e] of [[0, 4], [4, 8], [12, 16]]) {
    byRun.putRun(src, s, e);
    byRun.endRow(s, 1, 1);
    oneByOne.put(src, s, e - 1);
    oneByOne.putByte(0x0a);
    oneByOne.endRow(s, 1, 1);
  }
  expect(byRun.len).toBe(12);
  expect(contents(byRun)).toEqual(contents(oneByOne));
  expect(contents(byRun)).toEqual({ sent: '1,a\n2,b\n4,d\n', rows: ['1,a', '2,b', '4,d'] });
  expect(contents(byRun, new Set([1])).sent).toBe('1,a\n4,d\n');
});

test('a run is copied before other bytes are put, and before the batch is read', () => {
  const batch = new Batch(64, 8);
  const first = Buffer.from('x,1\ny,2\n');
  batch.putRun(first, 0, 4);
  batch.endRow(2, 1, 1);
  batch.put(Buffer.from('"\\."'), 0, 4);
  batch.putByte(0x0a);
  batch.endRow(3, 1, 1);
  const second = Buffer.from('z,3\n');
  batch.putRun(second, 0, 4);
  batch.endRow(4, 1, 1);
  // Another source, then the first one again: no run joins them.
  batch.putRun(first, 4, 8);
  batch.endRow(5, 1, 1);
  batch.settle();
  // Settled bytes no longer depend on the sources.
  first.fill(0);
  second.fill(0);
  expect(contents(batch)).toEqual({ sent: 'x,1\n"\\."\nz,3\ny,2\n', rows: ['x,1', '"\\."', 'z,3', 'y,2'] });
});

test('a cleared batch forgets its waiting run; a batch grown for a large row keeps its bytes', () => {
  const batch = new Batch(8, 4);
  const src = Buffer.from('a,1\nb,2\n');
  batch.putRun(src, 0, 4);
  batch.endRow(1, 1, 1);
  batch.clear();
  batch.ensureCapacity(32);
  batch.putRun(src, 4, 8);
  batch.endRow(2, 1, 1);
  batch.put(src, 0, 3);
  batch.putByte(0x0a);
  batch.endRow(3, 1, 1);
  expect(contents(batch)).toEqual({ sent: 'b,2\na,1\n', rows: ['b,2', 'a,1'] });
});
