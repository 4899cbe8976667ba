// The node's control interface: one JSON request per line on a local socket that only
// its owner may open, one JSON response per line back.

import type { NodeAction, ResourceAction } from '../admin/commands.js';

export type Request =
  | { method: 'status' }
  | { method: 'configure.load'; text: string; file: string }
  | { method: 'configure.show' }
  | { method: 'resource'; action: ResourceAction; id: string; node?: string }
  | { method: 'node'; action: NodeAction; name: string }
  | { method: 'property.set'; name: string; value: string }
  | { method: 'property.get'; name: string }
  | { method: 'history' }
  | { method: 'attribute'; node: string; name: string; value: string | null; permanent: boolean }
  | { method: 'attribute.get'; node: string; name: string }
  | { method: 'cluster.leave' };

export type Response = { ok: true; result: unknown } | { ok: false; error: string };

export const socketName = 'tandem.sock';
