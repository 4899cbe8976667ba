// The statistics page in HTML, laid out as HAProxy's `stats uri` page: for each proxy a table
// with its FRONTEND row, a row per server and its BACKEND row, coloured by state with
// HAProxy's own colours (green up, yellow going down, orange going up, red down, brown
// maintenance, blue drain), and a legend. Only the columns tandem tracks are shown.

import type { StatsRow } from './stats.js';

const style = `body { font-family: arial, helvetica, sans-serif; font-size: 12px; background: #fff; }
h1 { font-size: x-large; margin-bottom: 0.5em; } h1 a { color: #3030b0; text-decoration: none; }
table.tbl { border-collapse: collapse; border-style: none; margin-bottom: 1em; }
table.tbl td { text-align: right; border: 1px solid gray; padding: 2px 3px; white-space: nowrap; }
table.tbl td.ac { text-align: center; } table.tbl td.al { text-align: left; }
table.tbl th { border: 1px solid gray; padding: 2px 3px; }
th.pxname { background: #b00040; color: #ffff40; font-weight: bold; text-align: left; white-space: nowrap; }
.titre { background: #20d0d0; color: #000; font-weight: bold; text-align: center; }
.frontend, .backend { background: #e8e8d0; }
.active_up { background: #c0ffc0; } .active_going_down { background: #ffffa0; } .active_going_up { background: #ffd020; }
.active_down { background: #ff9090; } .active_draining { background: #20a0ff; } .active_no_check { background: #e0e0e0; }
.backup_up { background: #b0d0ff; } .backup_going_down { background: #c060ff; } .backup_going_up { background: #ff80ff; }
.backup_down { background: #ff9090; } .backup_draining { background: #cc9900; } .backup_no_check { background: #e0e0e0; }
.maintain { background: #c07820; }
table.legend td { text-align: left; padding: 1px 6px; }`;

const legend: [string, string][] = [
  ['active_up', 'active UP'],
  ['backup_up', 'backup UP'],
  ['active_going_down', 'active UP, going down'],
  ['backup_going_down', 'backup UP, going down'],
  ['active_going_up', 'active DOWN, going up'],
  ['backup_going_up', 'backup DOWN, going up'],
  ['active_down', 'active or backup DOWN'],
  ['active_no_check', 'not checked'],
  ['maintain', 'active or backup DOWN for maintenance (MAINT)'],
  ['active_draining', 'active or backup SOFT STOPPED for maintenance (DRAIN)'],
];

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** HAProxy's human_time: 45s, 3m05s, 2h07m, 4d03h. */
export function humanTime(seconds: number): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${pad(seconds % 60)}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${pad(Math.floor(seconds / 60) % 60)}m`;
  return `${Math.floor(seconds / 86400)}d${pad(Math.floor(seconds / 3600) % 24)}h`;
}

/** The CSS class of a row, as HAProxy names it. */
export function rowClass(row: StatsRow): string {
  if (row.type === 0) return 'frontend';
  if (row.type === 1) return 'backend';
  const kind = row.bck === 1 ? 'backup' : 'active';
  const status = row.status;
  if (status === 'MAINT') return 'maintain';
  if (status.startsWith('DRAIN')) return `${kind}_draining`;
  if (status === 'no check') return `${kind}_no_check`;
  if (status === 'UP') return `${kind}_up`;
  if (/^UP \d/.test(status)) return `${kind}_going_down`;
  if (/^DOWN \d/.test(status)) return `${kind}_going_up`;
  return `${kind}_down`;
}

const cell = (value: string | number, align = '') => `<td${align ? ` class="${align}"` : ''}>${escapeHtml(String(value))}</td>`;

/** A server is active or backup (Y or -, as HAProxy shows it); a backend counts its usable ones. */
const activeOrBackup = (row: StatsRow, value: number | '') => (row.type === 2 ? (value === 1 ? 'Y' : '-') : value);

function rowHtml(row: StatsRow): string {
  const name = row.type === 0 ? 'Frontend' : row.type === 1 ? 'Backend' : row.svname;
  const status = row.lastchg === '' ? row.status : `${humanTime(row.lastchg)} ${row.status}`;
  const cells = [
    cell(name, row.type === 2 ? 'al' : 'ac'),
    cell(row.qcur),
    cell(row.scur),
    cell(row.slim),
    cell(row.stot),
    cell(row.bin),
    cell(row.bout),
    cell(row.econ),
    cell(row.wretr),
    cell(row.wredis),
    cell(status, 'ac'),
    cell(row.check_status, 'ac'),
    cell(row.weight),
    cell(activeOrBackup(row, row.act)),
    cell(activeOrBackup(row, row.bck)),
    cell(row.chkfail),
    cell(row.chkdown),
  ];
  return `<tr class="${rowClass(row)}">${cells.join('')}</tr>`;
}

const tableHead = `<tr class="titre"><th rowspan="2"></th><th>Queue</th><th colspan="3">Sessions</th><th colspan="2">Bytes</th><th>Errors</th><th colspan="2">Warnings</th><th colspan="7">Server</th></tr>
<tr class="titre"><th>Cur</th><th>Cur</th><th>Limit</th><th>Total</th><th>In</th><th>Out</th><th>Conn</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th></tr>`;

/** The whole page for these rows (in `statsRows` order: a proxy's rows are consecutive). */
export function statsHtml(rows: StatsRow[], generatedAt = new Date()): string {
  const proxies = new Map<string, StatsRow[]>();
  for (const row of rows) proxies.set(row.pxname, [...(proxies.get(row.pxname) ?? []), row]);
  const tables = [...proxies].map(([name, proxyRows]) => {
    const anchor = escapeHtml(name);
    return `<table class="tbl"><tr><th class="pxname" colspan="17"><a name="${anchor}"></a>${anchor}</th></tr>\n${tableHead}\n${proxyRows.map(rowHtml).join('\n')}\n</table>`;
  });
  const legendRows = legend.map(([className, text]) => `<tr><td class="${className}">&nbsp;&nbsp;&nbsp;&nbsp;</td><td>${text}</td></tr>`).join('');
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Statistics Report for tandem balancer</title><style>${style}</style></head><body>
<h1>tandem balancer</h1><p>Statistics at ${generatedAt.toISOString()} &mdash; also as <a href="/;csv">CSV</a> and <a href="/json">JSON</a></p>
${tables.join('\n')}
<table class="legend">${legendRows}</table>
</body></html>
`;
}
