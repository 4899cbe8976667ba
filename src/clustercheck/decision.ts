// What a Galera node's health endpoint answers, as the clustercheck script does: 200 when the
// node's wsrep_local_state is 4 (Synced), or 2 (Donor/Desynced) if donors are to stay in the
// pool; 503 otherwise, and 503 when the state could not be read at all. The bodies and their
// CRLF endings are the script's own.

/** The node's wsrep_local_state, or why it could not be had. */
export type WsrepReading = { state: number } | { error: string };

export interface ClustercheckPolicy {
  /** The script's AVAILABLE_WHEN_DONOR: a donor (state 2) keeps taking traffic. */
  availableWhenDonor: boolean;
}

export interface ClustercheckAnswer {
  status: 200 | 503;
  body: string;
  /** Why, in words, for the log. */
  reason: string;
}

const stateNames: Record<number, string> = { 1: 'Joining', 2: 'Donor/Desynced', 3: 'Joined', 4: 'Synced' };

const synced = 4;
const donor = 2;

export function clustercheckAnswer(reading: WsrepReading, policy: ClustercheckPolicy): ClustercheckAnswer {
  if ('error' in reading) return { status: 503, body: 'Galera cluster node is not synced.\r\n', reason: reading.error };
  const reason = `wsrep_local_state ${reading.state} (${stateNames[reading.state] ?? 'unknown'})`;
  if (reading.state === synced || (reading.state === donor && policy.availableWhenDonor)) return { status: 200, body: 'Galera cluster node is synced.\r\n', reason };
  return { status: 503, body: 'Galera cluster node is not synced.\r\n', reason };
}

/** The state in the client's batch output without column names (`wsrep_local_state<TAB>4`); none when the server reports no such variable (wsrep off). */
export function parseLocalState(output: string): WsrepReading {
  const match = /^wsrep_local_state\t(\d+)$/m.exec(output);
  if (!match) return { error: 'the server reports no wsrep_local_state (is wsrep on, with a Galera provider?)' };
  return { state: Number(match[1]) };
}
