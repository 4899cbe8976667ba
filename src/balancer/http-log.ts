// `option httplog`: one line per request in HAProxy's HTTP log format, so that the tools
// operators already point at HAProxy's logs read tandem's:
//
//   CLIENT:PORT [DATE] FRONTEND BACKEND/SERVER TR/Tw/Tc/Tr/Ta STATUS BYTES - - TERM ac/fc/bc/sc/rc sq/bq "REQUEST"
//
// Times are ms; -1 is a phase never reached. TERM is HAProxy's termination state: the first
// letter says who ended the request (C client, S server, P proxy, c/s a client/server timeout,
// - normally), the second in which phase (R request, Q queue, C connect, H response headers,
// D data), then two dashes for the cookie flags tandem does not have.

/** What the log line of a request (mode http) or a session (mode tcp) says in both formats. */
export interface LoggedTraffic {
  clientAddress: string;
  clientPort: number;
  /** When it began (ms since the epoch). */
  startMs: number;
  frontend: string;
  backend: string;
  /** undefined: no server was reached (<NOSRV>). */
  server: string | undefined;
  termination: string;
  /** actconn/feconn (the frontend's connections), beconn, srv_conn, retries; and the backend's queue. */
  counts: { frontend: number; backend: number; server: number; retries: number; backendQueue: number };
}

export interface RequestRecord extends LoggedTraffic {
  /** HAProxy's TR/Tw/Tc/Tr/Ta: time to receive the headers (from `startMs`, the request's first byte: idle time before it is in none of them), queue wait, connect, server response, total. */
  timers: [number, number, number, number, number];
  status: number;
  bytes: number;
  /** `METHOD URI HTTP/x.y`, or <BADREQ> when no request could be read. */
  requestLine: string;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** HAProxy's %tr: 25/Nov/2026:07:49:26.123, local time. */
export function haproxyDate(ms: number): string {
  const date = new Date(ms);
  return `${pad(date.getDate())}/${months[date.getMonth()]}/${date.getFullYear()}:${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function httpLogLine(record: RequestRecord): string {
  const { counts } = record;
  const where = `${record.backend}/${record.server ?? '<NOSRV>'}`;
  const activity = `${counts.frontend}/${counts.frontend}/${counts.backend}/${counts.server}/${counts.retries}`;
  return `${record.clientAddress}:${record.clientPort} [${haproxyDate(record.startMs)}] ${record.frontend} ${where} ${record.timers.join('/')} ${record.status} ${record.bytes} - - ${record.termination}-- ${activity} 0/${counts.backendQueue} "${record.requestLine}"`;
}
