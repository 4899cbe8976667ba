// HAProxy's `show servers state` (format version 1, as HAProxy 2.6 prints it and reads it back
// with `load-server-state-from-file`): one line per server with its operational and admin
// state and its health check's. Numbers are HAProxy's own enum values; what tandem has no
// equivalent for (agent checks, forced ids, FQDNs, SRV records, SSL) is printed as HAProxy
// prints it when unused.

import type { Backend } from './backend.js';
import type { CheckStatus, ServerState } from './server-state.js';

const columns = 'be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';

/** HAProxy's enum healthcheck_status. */
const checkStatusCodes: Record<CheckStatus, number> = { INI: 1, L4OK: 6, L4TOUT: 7, L4CON: 8, L7TOUT: 12, L7RSP: 13, L7OK: 15, L7STS: 17 };

/** HAProxy's srv_state: STOPPED 0, RUNNING 2, STOPPING 3 (up, soft-stopped: the cluster's drain). */
function operationalState(server: ServerState): number {
  if (server.admin === 'maint' || !server.healthUp || server.cluster === 'down') return 0;
  return server.cluster === 'drain' ? 3 : 2;
}

/** HAProxy's SRV_ADMF_* flags: FMAINT 0x01 (set at run time), CMAINT 0x04 (`disabled` in the configuration), FDRAIN 0x08. */
function adminFlags(server: ServerState): number {
  if (server.admin === 'maint') return server.plan.disabled ? 0x05 : 0x01;
  return server.admin === 'drain' ? 0x08 : 0;
}

/** HAProxy's CHK_RES_*: UNKNOWN 0 (no check yet), FAILED 2, PASSED 3. */
function checkResult(server: ServerState): number {
  if (server.checkStatus === 'INI') return 0;
  return server.checkStatus === 'L4OK' || server.checkStatus === 'L7OK' ? 3 : 2;
}

function serverLine(backendId: number, backend: Backend, serverId: number, server: ServerState, nowMs: number): string {
  const plan = server.plan;
  const check = plan.check;
  return [
    backendId,
    backend.plan.name,
    serverId,
    plan.name,
    plan.host,
    operationalState(server),
    adminFlags(server),
    plan.weight,
    plan.weight,
    Math.max(0, Math.floor((nowMs - server.lastChangeMs) / 1000)),
    check ? checkStatusCodes[server.checkStatus] : 0,
    check ? checkResult(server) : 0,
    server.checkHealth,
    check ? 6 : 0, // CHK_ST_CONFIGURED | CHK_ST_ENABLED
    0,
    0,
    0,
    '-',
    plan.port ?? 0,
    '-',
    0,
    check && check.port !== plan.port ? check.port : 0,
    check && check.host !== plan.host ? check.host : '-',
    '-',
    0,
  ].join(' ');
}

/** The proxies in configuration order: a backend's id is its position, from 1, as HAProxy numbers them. */
export function serversState(proxies: { backend?: Backend }[], nowMs = Date.now()): string {
  const lines = ['1', `# ${columns}`];
  proxies.forEach(({ backend }, index) => {
    backend?.servers.forEach((server, serverIndex) => lines.push(serverLine(index + 1, backend, serverIndex + 1, server, nowMs)));
  });
  return `${lines.join('\n')}\n`;
}
