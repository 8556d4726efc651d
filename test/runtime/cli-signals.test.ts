/** The signal handling of `cdk-data-pipeline run` (src/runtime/entry/cli/signals.ts), in-process. */
import { watchSignals } from '../../src/runtime/entry/cli/signals';

function watch(graceMs = 60_000) {
  const exits: number[] = [];
  const messages: string[] = [];
  const w = watchSignals({ graceMs, exit: (code) => exits.push(code), stderr: (t) => messages.push(t), signals: ['SIGUSR2'] });
  return { w, exits, messages };
}

test('the first signal aborts with its name as the reason, the second exits 75 at once', () => {
  const { w, exits, messages } = watch();
  try {
    expect(w.signal.aborted).toBe(false);
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(w.signal.aborted).toBe(true);
    expect(w.signal.reason).toBe('SIGUSR2 received');
    expect(exits).toEqual([]);
    expect(messages[0]).toContain('SIGUSR2: stopping');
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(exits).toEqual([75]);
    expect(messages[1]).toContain('SIGUSR2 again: exiting now');
  } finally {
    w.dispose();
  }
});

test('a stop that takes longer than the grace period exits 75', async () => {
  const { w, exits } = watch(50);
  try {
    process.emit('SIGUSR2', 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 200));
    expect(exits).toEqual([75]);
  } finally {
    w.dispose();
  }
});

test('dispose removes the handlers and the grace timer', async () => {
  const before = process.listenerCount('SIGUSR2');
  const { w, exits } = watch(50);
  expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
  process.emit('SIGUSR2', 'SIGUSR2');
  w.dispose();
  expect(process.listenerCount('SIGUSR2')).toBe(before);
  await new Promise((r) => setTimeout(r, 200));
  expect(exits).toEqual([]);
});
