// `option tcplog`: one line per tcp session in HAProxy's TCP log format, so that the tools
// operators point at HAProxy's logs read tandem's:
//
//   CLIENT:PORT [DATE] FRONTEND BACKEND/SERVER Tw/Tc/Tt BYTES TERM ac/fc/bc/sc/rc sq/bq
//
// Tw is the time waiting for a server slot, Tc the time to connect to the server (-1 when it
// never connected), Tt the whole session, all in ms; BYTES went to the client. TERM is
// HAProxy's two-letter termination state: who ended the session (C client, S server, s/c a
// server/client timeout, - normally) and in which phase (Q queue, C connect, D data).

import { haproxyDate, type LoggedTraffic } from './http-log.js';

export interface SessionRecord extends LoggedTraffic {
  timers: [waitMs: number, connectMs: number, totalMs: number];
  bytesToClient: number;
}

export function tcpLogLine(record: SessionRecord): string {
  const { counts } = record;
  const activity = `${counts.frontend}/${counts.frontend}/${counts.backend}/${counts.server}/${counts.retries}`;
  return `${record.clientAddress}:${record.clientPort} [${haproxyDate(record.startMs)}] ${record.frontend} ${record.backend}/${record.server ?? '<NOSRV>'} ${record.timers.join('/')} ${record.bytesToClient} ${record.termination} ${activity} 0/${counts.backendQueue}`;
}
