// What a corosync.conf says that tandem's cluster can take over: the cluster's name, the
// token timeout (as the lease, see timing.ts), the nodes with their ring addresses, and
// the networks of its interface sections (a node's addresses are its own on those). What
// tandem does otherwise (encryption, transport, quorum tricks) is said as a warning with
// the line, so nothing is silently dropped that changes behaviour.

import { sectionsNamed, type CorosyncSection, type CorosyncValue } from '../formats/corosync/index.js';
import { InputError, type InputWarning } from '../model/errors.js';
import { leaseForToken } from './timing.js';

export interface CorosyncNode {
  name?: string;
  nodeId?: number;
  addresses: string[];
}

export interface CorosyncImport {
  clusterName?: string;
  tokenMs: number;
  leaseTtlMs: number;
  nodes: CorosyncNode[];
  /** `bindnetaddr` of each interface section: the networks the rings run on. */
  networks: string[];
  warnings: InputWarning[];
}

/** corosync 3's default token timeout. */
const defaultTokenMs = 1_000;
const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function integer(entry: CorosyncValue, what: string): number {
  if (!/^\d+$/.test(entry.value)) throw new InputError(`${what}: expected a whole number, got '${entry.value}'`, entry.position);
  return Number(entry.value);
}

function address(entry: CorosyncValue): string {
  if (!ipv4.test(entry.value)) throw new InputError(`expected an IPv4 address, got '${entry.value}' (tandem does not resolve host names here)`, entry.position);
  return entry.value;
}

const explained: Record<string, string> = {
  secauth: 'tandem always authenticates and encrypts with TLS: make the credentials with tandem keygen',
  crypto_cipher: 'tandem always authenticates and encrypts with TLS: make the credentials with tandem keygen',
  rrp_mode: 'tandem uses every address of a node at once; there is no ring mode to choose',
  link_mode: 'tandem uses every address of a node at once; there is no link mode to choose',
  transport: 'tandem reaches the others through etcd over TCP; the transport does not apply',
  token_retransmits_before_loss_const: 'the token timeout alone becomes the lease; retransmits do not apply',
  consensus: 'etcd elects its leader in a quarter of the lease; consensus does not apply',
};

function nodesOf(top: CorosyncSection): CorosyncNode[] {
  return sectionsNamed(top, 'nodelist').flatMap((list) =>
    sectionsNamed(list, 'node').map((section) => {
      const addresses = [...section.values.entries()].filter(([key]) => /^ring\d+_addr$/.test(key)).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([, entry]) => address(entry));
      if (addresses.length === 0) throw new InputError('a node needs ring0_addr', section.position);
      const name = section.values.get('name')?.value;
      const nodeId = section.values.get('nodeid');
      return { addresses, ...(name ? { name } : {}), ...(nodeId ? { nodeId: integer(nodeId, 'nodeid') } : {}) };
    }),
  );
}

export function importCorosync(top: CorosyncSection): CorosyncImport {
  const totems = sectionsNamed(top, 'totem');
  if (totems.length !== 1) throw new InputError(`expected one totem section, found ${totems.length}`, (totems[1] ?? top).position);
  const totem = totems[0]!;
  const warnings: InputWarning[] = [];
  for (const [key, entry] of totem.values) {
    const why = explained[key];
    if (why && !(key === 'secauth' && entry.value === 'off')) warnings.push({ message: `totem ${key}: ${why}`, position: entry.position });
  }
  for (const quorum of sectionsNamed(top, 'quorum')) {
    for (const key of ['two_node', 'wait_for_all', 'last_man_standing', 'auto_tie_breaker', 'expected_votes']) {
      const entry = quorum.values.get(key);
      if (entry) warnings.push({ message: `quorum ${key}: quorum is etcd's majority of members; ${key} does not apply`, position: entry.position });
    }
  }
  const token = totem.values.get('token');
  const tokenMs = token ? integer(token, 'token') : defaultTokenMs;
  if (tokenMs === 0) throw new InputError('token: must be above 0', token!.position);
  const clusterName = totem.values.get('cluster_name')?.value;
  if (clusterName !== undefined && !/^[A-Za-z0-9_.-]+$/.test(clusterName)) throw new InputError(`cluster_name: letters, digits, '_', '.', '-' only, got '${clusterName}'`, totem.values.get('cluster_name')!.position);
  const networks = sectionsNamed(totem, 'interface').flatMap((face) => {
    const bind = face.values.get('bindnetaddr');
    return bind ? [address(bind)] : [];
  });
  return { ...(clusterName ? { clusterName } : {}), tokenMs, leaseTtlMs: leaseForToken(tokenMs), nodes: nodesOf(top), networks, warnings };
}

function toNumber(dotted: string): number {
  return dotted.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
}

/** This host's IPv4 addresses that lie on one of the rings' networks (bindnetaddr), ring order kept. */
export function addressesOnNetworks(local: Array<{ address: string; netmask: string }>, networks: string[]): string[] {
  return networks.flatMap((network) =>
    local.filter((candidate) => ipv4.test(candidate.address) && (toNumber(candidate.address) & toNumber(candidate.netmask)) >>> 0 === (toNumber(network) & toNumber(candidate.netmask)) >>> 0).map((candidate) => candidate.address),
  );
}
