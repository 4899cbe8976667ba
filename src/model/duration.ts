// Durations as Pacemaker writes them: "30s", "1min", "5m" (minutes), "2h", "500ms",
// a bare number (seconds), or ISO 8601 "PT5M".

const unitMs: Record<string, number> = {
  '': 1000,
  ms: 1,
  msec: 1,
  us: 0.001,
  usec: 0.001,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
};

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(trimmed);
  if (iso && trimmed.length > 1 && !/T$/i.test(trimmed)) {
    const [, d, h, m, s] = iso;
    return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
  }
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(trimmed);
  if (!match) return undefined;
  const unit = (match[2] ?? '').toLowerCase();
  // hasOwn: a unit such as "constructor" must not find Object.prototype's members.
  if (!Object.hasOwn(unitMs, unit)) return undefined;
  const factor = unitMs[unit]!;
  return Math.round(Number(match[1]) * factor);
}
