import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs `action` with a fresh temporary directory, removed afterwards whatever happens. */
export function withTempDir<T>(action: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-test-'));
  try {
    return action(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
