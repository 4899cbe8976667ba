// Statistics in the spirit of HAProxy's `show stat`: one row per frontend (FRONTEND), per
// server, and per backend (BACKEND), with HAProxy's own column names, and the same as CSV
// (header line starting with "# ", as HAProxy prints it). Only the columns tandem tracks
// are present, in HAProxy's order.

import type { Backend } from './backend.js';
import type { Frontend } from './frontend.js';
import type { ServerState } from './server-state.js';

export interface StatsRow {
  pxname: string;
  svname: string;
  qcur: number;
  scur: number;
  /** The session limit (maxconn), empty when none. */
  slim: number | '';
  stot: number;
  bin: number;
  bout: number;
  econ: number | '';
  wretr: number | '';
  wredis: number | '';
  status: string;
  weight: number | '';
  act: number | '';
  bck: number | '';
  chkfail: number | '';
  chkdown: number | '';
  /** Seconds since the last UP/DOWN change. */
  lastchg: number | '';
  /** 0 frontend, 1 backend, 2 server. */
  type: 0 | 1 | 2;
  check_status: string;
}

export const statsColumns = ['pxname', 'svname', 'qcur', 'scur', 'slim', 'stot', 'bin', 'bout', 'econ', 'wretr', 'wredis', 'status', 'weight', 'act', 'bck', 'chkfail', 'chkdown', 'lastchg', 'type', 'check_status'] as const;

const secondsSince = (ms: number, nowMs: number) => Math.max(0, Math.floor((nowMs - ms) / 1000));

function frontendRow(frontend: Frontend): StatsRow {
  const plan = frontend.plan;
  return {
    pxname: plan.name,
    svname: 'FRONTEND',
    qcur: frontend.queued,
    scur: frontend.current,
    slim: plan.maxconn || '',
    stot: frontend.total,
    bin: frontend.bytesIn,
    bout: frontend.bytesOut,
    econ: '',
    wretr: '',
    wredis: '',
    status: 'OPEN',
    weight: '',
    act: '',
    bck: '',
    chkfail: '',
    chkdown: '',
    lastchg: '',
    type: 0,
    check_status: '',
  };
}

function serverRow(proxy: string, server: ServerState, nowMs: number): StatsRow {
  const plan = server.plan;
  return {
    pxname: proxy,
    svname: plan.name,
    qcur: 0,
    scur: server.current,
    slim: plan.maxconn || '',
    stot: server.total,
    bin: server.bytesIn,
    bout: server.bytesOut,
    econ: server.connectErrors,
    wretr: server.retries,
    wredis: server.redispatches,
    status: server.status,
    weight: plan.weight,
    act: plan.backup ? 0 : 1,
    bck: plan.backup ? 1 : 0,
    chkfail: plan.check ? server.checkFailures : '',
    chkdown: plan.check ? server.checkDowns : '',
    lastchg: secondsSince(server.lastChangeMs, nowMs),
    type: 2,
    check_status: plan.check ? server.checkStatus : '',
  };
}

function backendRow(backend: Backend, nowMs: number): StatsRow {
  const servers = backend.servers;
  const sum = (value: (server: ServerState) => number) => servers.reduce((total, server) => total + value(server), 0);
  const usable = servers.filter((server) => server.usable);
  return {
    pxname: backend.plan.name,
    svname: 'BACKEND',
    qcur: backend.queued,
    scur: backend.current,
    slim: '',
    stot: backend.total,
    bin: sum((server) => server.bytesIn),
    bout: sum((server) => server.bytesOut),
    econ: sum((server) => server.connectErrors),
    wretr: sum((server) => server.retries),
    wredis: sum((server) => server.redispatches),
    status: usable.length > 0 ? 'UP' : 'DOWN',
    weight: usable.reduce((total, server) => total + server.plan.weight, 0),
    act: usable.filter((server) => !server.plan.backup).length,
    bck: usable.filter((server) => server.plan.backup).length,
    chkfail: '',
    chkdown: sum((server) => server.checkDowns),
    lastchg: secondsSince(Math.max(0, ...servers.map((server) => server.lastChangeMs)), nowMs),
    type: 1,
    check_status: '',
  };
}

/** Rows in configuration order: for each proxy, its FRONTEND, its servers, its BACKEND. */
export function statsRows(proxies: { name: string; frontend?: Frontend; backend?: Backend }[], nowMs = Date.now()): StatsRow[] {
  const rows: StatsRow[] = [];
  for (const { name, frontend, backend } of proxies) {
    if (frontend) rows.push(frontendRow(frontend));
    if (backend) rows.push(...backend.servers.map((server) => serverRow(name, server, nowMs)), backendRow(backend, nowMs));
  }
  return rows;
}

export function statsCsv(rows: StatsRow[]): string {
  const lines = [`# ${statsColumns.join(',')}`];
  for (const row of rows) lines.push(statsColumns.map((column) => String(row[column])).join(','));
  return `${lines.join('\n')}\n`;
}
