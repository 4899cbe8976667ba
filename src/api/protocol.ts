// The node's control interface: one JSON request per line on a local socket that only
// its owner may open, one JSON response per line back.

export type Request =
  | { method: 'status' }
  | { method: 'configure.load'; text: string; file: string }
  | { method: 'configure.show' };

export type Response = { ok: true; result: unknown } | { ok: false; error: string };

export const socketName = 'tandem.sock';
