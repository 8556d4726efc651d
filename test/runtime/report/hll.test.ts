/** The distinct-count sketch on its own: accuracy over a range of counts, exact merging, its JSON form. */
import { hashValue, HLL_STANDARD_ERROR, HyperLogLog, SPARSE_LIMIT } from '../../../src/runtime/report/hll';

function sketchOf(from: number, to: number): HyperLogLog {
  const hll = new HyperLogLog();
  for (let i = from; i < to; i++) {
    const b = Buffer.from(`customer-${i}`);
    hll.addHash(hashValue(b, 0, b.length));
  }
  return hll;
}

test('exact up to SPARSE_LIMIT distinct values, repeated values counted once', () => {
  const hll = sketchOf(0, SPARSE_LIMIT);
  for (let i = 0; i < 3; i++) hll.merge(sketchOf(0, SPARSE_LIMIT));
  expect(hll.estimate()).toBe(SPARSE_LIMIT);
  expect(hll.serialize()).toMatch(/^s/);
  expect(sketchOf(0, SPARSE_LIMIT + 1).serialize()).toMatch(/^d/);
});

test.each([300, 1_000, 5_000, 20_000, 300_000])('%d distinct values: the estimate is within 4 standard errors (6.5%)', (n) => {
  const estimate = sketchOf(0, n).estimate();
  expect(Math.abs(estimate - n) / n).toBeLessThan(4 * HLL_STANDARD_ERROR);
});

test('the typical error over many sketches is about the documented standard error', () => {
  const errors: number[] = [];
  for (let k = 0; k < 40; k++) {
    const n = 10_000;
    errors.push((sketchOf(k * n, (k + 1) * n).estimate() - n) / n);
  }
  const rms = Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);
  expect(rms).toBeLessThan(1.5 * HLL_STANDARD_ERROR);
  expect(Math.abs(errors.reduce((s, e) => s + e, 0) / errors.length)).toBeLessThan(HLL_STANDARD_ERROR); // no bias
});

test('merging sketches, sparse or dense, gives exactly the sketch of the union', () => {
  for (const [a, b, c] of [[0, 100, 200], [0, 200, 400], [0, 5000, 9000], [0, 10, 20_000]]) {
    const merged = sketchOf(a, b);
    merged.merge(sketchOf(b, c));
    // Overlap counts once.
    merged.merge(sketchOf(a, Math.min(b, a + 50)));
    expect(merged.serialize()).toBe(sketchOf(a, c).serialize());
  }
});

test('its JSON text reads back to the same sketch; anything else is refused, naming where', () => {
  for (const n of [0, 3, SPARSE_LIMIT, 50_000]) {
    const text = sketchOf(0, n).serialize();
    const back = HyperLogLog.deserialize(text, 'x');
    expect(back.serialize()).toBe(text);
    expect(back.estimate()).toBe(sketchOf(0, n).estimate());
  }
  expect(() => HyperLogLog.deserialize('dAAAA', 'the summary of k.csv')).toThrow('the summary of k.csv: not a distinct-count sketch');
  expect(() => HyperLogLog.deserialize(42, 'w')).toThrow('w: not a distinct-count sketch');
  expect(() => HyperLogLog.deserialize(`d${Buffer.alloc(4096, 40).toString('base64')}`, 'w')).toThrow('w: the distinct-count sketch has a register out of range');
});
