import * as fs from 'fs';
import { STATE_FILE } from './services';

/** Stops the servers globalSetup started and removes the database files. */
export default async function globalTeardown(): Promise<void> {
  if (!fs.existsSync(STATE_FILE)) return;
  const state = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as { pids: number[]; dataDir: string; kafkaDir?: string; tmpDir?: string };
  for (const pid of state.pids) {
    try { process.kill(-pid, 'SIGTERM'); } catch { try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ } }
  }
  await new Promise((r) => setTimeout(r, 300));
  fs.rmSync(state.dataDir, { recursive: true, force: true });
  if (state.kafkaDir) fs.rmSync(state.kafkaDir, { recursive: true, force: true });
  if (state.tmpDir) fs.rmSync(state.tmpDir, { recursive: true, force: true });
  fs.rmSync(STATE_FILE, { force: true });
}
