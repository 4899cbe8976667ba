// `tandem node`: the daemon of one node. Wires the store, the local agent runner, the
// control loop and the control socket together, and shuts them down cleanly on SIGTERM.

import { hostname } from 'node:os';
import pino from 'pino';
import { listen } from '../api/server.js';
import type { Request } from '../api/protocol.js';
import { createAgentRunner } from '../agents/index.js';
import { join } from 'node:path';
import { parseCibText } from '../formats/index.js';
import { writeCrm } from '../formats/crm/index.js';
import type { Cib } from '../model/cib.js';
import type { Configuration } from '../model/config.js';
import { schedule } from '../scheduler/index.js';
import { EmbeddedStore } from '../store/embedded.js';
import { clusterView, failCounts, failedActions } from '../status/view.js';
import { changeNode, changeResource, getNodeAttribute, setNodeAttribute, setProperty } from '../admin/commands.js';
import { Controller, joinLocalNode } from './controller.js';
import { InputHistory } from './history.js';
import { pacemakerToolShims } from './shims.js';

/** How long a planned shutdown waits for this node's resources to stop. */
const shutdownLimitMs = 120_000;

export interface NodeOptions {
  dataDir: string;
  name?: string;
}

export interface StatusReport {
  node: string;
  revision: number;
  view: ReturnType<typeof clusterView>;
  failedActions: ReturnType<typeof failedActions>;
  failCounts: ReturnType<typeof failCounts>;
  pending: string[];
  warnings: string[];
}

/** Keeps node definitions the new configuration does not mention (nodes that joined). */
function withKnownNodes(next: Configuration, current: Configuration): Configuration {
  const named = new Set(next.nodes.map((node) => node.uname));
  return { ...next, nodes: [...next.nodes, ...current.nodes.filter((node) => !named.has(node.uname))] };
}

export async function runNode(options: NodeOptions): Promise<void> {
  const name = options.name ?? hostname();
  const log = pino({ base: { node: name }, timestamp: pino.stdTimeFunctions.isoTime });
  const store = EmbeddedStore.open(options.dataDir);
  let controller: Controller | undefined;
  const runAgent = createAgentRunner({
    runDir: join(options.dataDir, 'run'),
    onUnexpectedExit: (instance) => void controller?.reportUnexpectedExit(instance),
    environment: pacemakerToolShims(options.dataDir, name),
  });
  controller = new Controller({ nodeName: name, store, runAgent, log, recordInput: (cib, transition, revision) => history.record(cib, transition, revision) });

  const history = new InputHistory(options.dataDir);
  /** Applies an operator's change atomically, after checking the scheduler accepts the result. */
  const commit = async (change: (cib: Cib) => Cib, what: string) => {
    const { cib, revision } = await store.read();
    const next = change(structuredClone(cib));
    schedule({ cib: next, nowS: Math.floor(Date.now() / 1000) });
    const committed = await store.update(() => next, revision);
    log.info({ revision: committed.revision }, what);
    return { revision: committed.revision };
  };

  const handle = async (request: Request): Promise<unknown> => {
    const { cib, revision } = await store.read();
    const nowS = Math.floor(Date.now() / 1000);
    switch (request.method) {
      case 'status': {
        const transition = schedule({ cib, nowS });
        return { node: name, revision, view: clusterView(cib, nowS), failedActions: failedActions(cib), failCounts: failCounts(cib), pending: transition.summary.map((item) => item.line), warnings: transition.warnings } satisfies StatusReport;
      }
      case 'configure.show':
        return writeCrm(cib.configuration);
      case 'resource':
        return commit((next) => changeResource(next, request.action, request.id, request.node), `resource ${request.action} ${request.id}`);
      case 'node':
        return commit((next) => changeNode(next, request.action, request.name), `node ${request.action} ${request.name}`);
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
      case 'attribute.get':
        return getNodeAttribute(cib, request.node, request.name);
      case 'configure.load': {
        // Validated whole before anything changes; the store commits it in one write.
        const loaded = parseCibText(request.text, request.file);
        const candidate: Cib = structuredClone(cib);
        candidate.configuration = withKnownNodes(loaded.cib.configuration, cib.configuration);
        joinLocalNode(candidate, name, false);
        schedule({ cib: candidate, nowS });
        const committed = await store.update((current) => ({ ...current, configuration: candidate.configuration }), revision);
        log.info({ revision: committed.revision, file: request.file }, 'configuration loaded');
        return { revision: committed.revision, warnings: loaded.warnings };
      }
    }
  };

  const server = await listen(options.dataDir, handle, log);
  await controller.start();
  log.info({ dataDir: options.dataDir }, 'node started');

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'node stopping');
      resolve();
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  const clean = await controller.shutdown(shutdownLimitMs);
  if (!clean) log.warn({ limitMs: shutdownLimitMs }, 'resources still running here at shutdown');
  server.close();
  await store.close();
  log.info('node stopped');
}
