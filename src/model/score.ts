// Pacemaker score arithmetic: INFINITY is 1,000,000; -INFINITY wins over +INFINITY;
// finite sums saturate at the infinities.

export const INFINITY = 1_000_000;

export function addScores(a: number, b: number): number {
  if (a <= -INFINITY || b <= -INFINITY) return -INFINITY;
  if (a >= INFINITY || b >= INFINITY) return INFINITY;
  return clampScore(a + b);
}

export function clampScore(score: number): number {
  if (score >= INFINITY) return INFINITY;
  if (score <= -INFINITY) return -INFINITY;
  return score;
}

/**
 * Parses a score as Pacemaker's char2score does: INFINITY with optional sign (any case,
 * crmsh's "inf" included), or an integer, saturated; anything else is undefined.
 */
export function parseScore(text: string): number | undefined {
  const trimmed = text.trim();
  const lower = trimmed.toLowerCase();
  if (lower === 'infinity' || lower === '+infinity' || lower === 'inf' || lower === '+inf') return INFINITY;
  if (lower === '-infinity' || lower === '-inf') return -INFINITY;
  if (lower === 'mandatory') return INFINITY;
  if (lower === 'optional' || lower === 'advisory') return 0;
  if (!/^[+-]?\d+$/.test(trimmed)) return undefined;
  return clampScore(Number.parseInt(trimmed, 10));
}

export function formatScore(score: number): string {
  if (score >= INFINITY) return 'INFINITY';
  if (score <= -INFINITY) return '-INFINITY';
  return String(score);
}
