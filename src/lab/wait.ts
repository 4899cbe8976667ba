// Waiting for a condition, bounded: every wait in the lab, the drills and the tests ends.

const pollMs = 100;

export async function waitFor(what: string, condition: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
}
