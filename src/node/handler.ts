// The control socket's requests, answered from the store: status, configuration, the
// operator's changes (each validated by the scheduler, then committed as one
// compare-and-swap), history, attributes and membership.

import { changeNode, changeResource, changeTicket, getNodeAttribute, setNodeAttribute, setProperty, setTargetRole, targetRoleOf } from '../admin/commands.js';
import type { DrillFault, Request, SessionReport } from '../api/protocol.js';
import type { DrillAnswer } from '../cluster/drills.js';
import { verifyAgents } from '../agents/config-check.js';
import type { DescribeAgent } from '../agents/ocf-metadata.js';
import { InputError } from '../model/errors.js';
import { parseCibText } from '../formats/index.js';
import { writeCrm } from '../formats/crm/index.js';
import { lastChangeAttributes, type Cib } from '../model/cib.js';
import type { Configuration } from '../model/config.js';
import { schedule } from '../scheduler/index.js';
import { activeNodes, clusterView } from '../status/view.js';
import { failureReport, type FailureReport } from '../status/failures.js';
import type { ClusterStore } from '../store/store.js';
import type { Logger } from 'pino';
import type { InputHistory } from './history.js';
import { joinLocalNode } from './join.js';
import { checkedSessionReports } from './session-board.js';
import { StatusFeed } from './status-feed.js';

export interface StatusReport {
  node: string;
  revision: number;
  view: ReturnType<typeof clusterView>;
  failedActions: FailureReport['failedActions'];
  failCounts: FailureReport['failCounts'];
  pending: string[];
  warnings: string[];
  cluster: Record<string, unknown>;
  /** The last change of the configuration, as crm_mon's "Last change": when, on which node, by what. */
  lastChange?: { at: string; origin?: string; client?: string };
}

export interface HandlerContext {
  name: string;
  store: ClusterStore;
  view: (cib: Cib) => Cib;
  history: InputHistory;
  describe: () => Promise<Record<string, unknown>>;
  /** Calls back whenever what the status shows may have changed (the store, the membership); returns what stops it. */
  changes: (listener: () => void) => () => void;
  log: Logger;
  /** Starts this node's departure from the cluster (answered at once; the daemon then winds down). */
  requestLeave: () => void;
  /** Strikes a drill's fault on a node (kill-node: through its fencing device). */
  drill: (target: string, fault: DrillFault) => Promise<DrillAnswer>;
  /** Keeps what a balancer following this node reports of the servers it drains. */
  reportSessions: (balancer: string, servers: SessionReport[]) => Promise<void>;
  /** The OCF agents installed here, for checking a configuration against them. */
  describeAgent: DescribeAgent;
}

/** Keeps node definitions the new configuration does not mention (nodes that joined). */
function lastChangeOf(cib: Cib): Pick<StatusReport, 'lastChange'> {
  const at = cib.attributes['cib-last-written'];
  if (at === undefined) return {};
  const origin = cib.attributes['update-origin'];
  const client = cib.attributes['update-client'];
  return { lastChange: { at, ...(origin ? { origin } : {}), ...(client ? { client } : {}) } };
}

function withKnownNodes(next: Configuration, current: Configuration): Configuration {
  const named = new Set(next.nodes.map((node) => node.uname));
  return { ...next, nodes: [...next.nodes, ...current.nodes.filter((node) => !named.has(node.uname))] };
}

export function controlHandler(context: HandlerContext): (request: Request) => Promise<unknown> {
  const { name, store, history } = context;
  const statusFeed = new StatusFeed(context);
  /** Applies an operator's change atomically, after checking the scheduler accepts the result. */
  const commit = async (change: (cib: Cib) => Cib, what: string) => {
    const { cib, revision } = await store.read();
    const next = change(structuredClone(cib));
    Object.assign(next.attributes, lastChangeAttributes(Date.now(), name, `tandem ${what.split(' ')[0]}`));
    schedule({ cib: context.view(next), nowS: Math.floor(Date.now() / 1000) });
    const committed = await store.update(() => next, revision);
    context.log.info({ revision: committed.revision }, what);
    return { revision: committed.revision };
  };

  return async (request) => {
    // Frequent while a drain lasts, and nothing to do with the CIB: no store read for it.
    if (request.method === 'sessions.report') {
      const servers = checkedSessionReports(request.balancer, request.servers);
      await context.reportSessions(request.balancer, servers);
      return { servers: servers.length };
    }
    const { cib: stored, revision } = await store.read();
    const cib = context.view(stored);
    const nowS = Math.floor(Date.now() / 1000);
    switch (request.method) {
      case 'status': {
        const transition = schedule({ cib, nowS });
        return { node: name, revision, view: clusterView(cib, nowS), ...failureReport(cib, nowS), pending: transition.summary.map((item) => item.line), warnings: transition.warnings, cluster: await context.describe(), ...lastChangeOf(cib) } satisfies StatusReport;
      }
      case 'status.watch':
        return statusFeed.follow();
      case 'configure.show':
        return writeCrm(cib.configuration);
      case 'resource':
        return commit((next) => changeResource(next, request.action, request.id, request.node, activeNodes(cib, request.id, nowS)), `resource ${request.action} ${request.id}`);
      case 'resource.target-role': {
        const value = request.value;
        if (value === undefined) return targetRoleOf(cib, request.id) ?? null;
        return commit((next) => setTargetRole(next, request.id, value ?? undefined), `resource target-role ${request.id}=${value ?? '(none)'}`);
      }
      case 'resource.active':
        return activeNodes(cib, request.id, nowS);
      case 'node':
        return commit((next) => changeNode(next, request.action, request.name), `node ${request.action} ${request.name}`);
      case 'ticket':
        return commit((next) => changeTicket(next, request.action, request.ticket, nowS), `ticket ${request.action} ${request.ticket}`);
      case 'property.set':
        return commit((next) => setProperty(next, request.name, request.value), `property ${request.name}=${request.value}`);
      case 'property.get':
        return cib.configuration.properties[request.name] ?? null;
      case 'history':
        return history.list();
      case 'attribute': {
        // Promotion scores change often and mean nothing new when unchanged: skip those writes.
        if (getNodeAttribute(cib, request.node, request.name) === request.value) return { revision };
        return commit((next) => setNodeAttribute(next, request.node, request.name, request.value, request.permanent), `attribute ${request.name}=${request.value ?? '(deleted)'} on ${request.node}`);
      }
      case 'drill': {
        if (!cib.configuration.nodes.some((node) => node.uname === request.target)) throw new InputError(`no node named ${request.target}`);
        const answer = await context.drill(request.target, request.fault);
        if (!answer.ok) throw new InputError(`drill on ${request.target}: ${answer.detail}`);
        context.log.warn({ target: request.target, fault: request.fault.fault, detail: answer.detail }, 'drill: fault struck');
        return answer;
      }
      case 'cluster.leave':
        context.requestLeave();
        return { leaving: name };
      case 'attribute.get':
        return getNodeAttribute(cib, request.node, request.name);
      case 'configure.load': {
        // Validated whole before anything changes; the store commits it in one write.
        const loaded = parseCibText(request.text, request.file);
        const agentWarnings = verifyAgents(loaded.cib.configuration, request.text, request.file, context.describeAgent);
        const candidate: Cib = structuredClone(stored);
        candidate.configuration = withKnownNodes(loaded.cib.configuration, stored.configuration);
        joinLocalNode(candidate, name, false);
        schedule({ cib: context.view(candidate), nowS });
        const stamp = lastChangeAttributes(Date.now(), name, 'tandem configure');
        const committed = await store.update((current) => ({ ...current, configuration: candidate.configuration, attributes: { ...current.attributes, ...stamp } }), revision);
        context.log.info({ revision: committed.revision, file: request.file }, 'configuration loaded');
        return { revision: committed.revision, warnings: [...loaded.warnings, ...agentWarnings] };
      }
    }
  };
}
