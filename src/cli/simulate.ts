// `tandem simulate`: crm_simulate's job. Load a CIB (crm syntax or XML), apply the
// requested changes, schedule, and show the transition and the status it leads to.

import { writeFileSync } from 'node:fs';
import { changeTicket, type TicketAction } from '../admin/commands.js';
import { executionDateS, type Cib } from '../model/cib.js';
import { formatScore } from '../model/score.js';
import { writeCib } from '../formats/cib/index.js';
import { schedule, type Transition } from '../scheduler/index.js';
import { executeTransition } from '../simulate/execute.js';
import { injectOperation, nodeDown, nodeFail, nodeUp, setNodeAttribute } from '../simulate/inject.js';
import { renderStatus } from '../status/text.js';
import { clusterView } from '../status/view.js';
import { explain } from './explain.js';
import { loadCib } from './load.js';

export interface SimulateOptions {
  nodeUp: string[];
  nodeDown: string[];
  nodeFail: string[];
  opInject: string[];
  standby: string[];
  /** Tickets to grant, revoke, put in standby or activate first (crm_simulate -g/-r/-b/-e). */
  ticketGrant?: string[];
  ticketRevoke?: string[];
  ticketStandby?: string[];
  ticketActivate?: string[];
  json?: boolean;
  saveOutput?: string;
  explain?: string;
  showScores?: boolean;
  /** Seconds since the epoch to simulate at (default: now). */
  time?: string;
}

export interface SimulationResult {
  before: Cib;
  modified: Cib;
  transition: Transition;
  after: Cib;
  modifications: string[];
}

export function runSimulation(start: Cib, options: SimulateOptions, nowS: number): SimulationResult {
  let cib = start;
  const modifications: string[] = [];
  for (const node of options.nodeUp) {
    cib = nodeUp(cib, node);
    modifications.push(`Bringing node ${node} online`);
  }
  for (const node of options.nodeDown) {
    cib = nodeDown(cib, node);
    modifications.push(`Taking node ${node} offline`);
  }
  for (const node of options.nodeFail) {
    cib = nodeFail(cib, node);
    modifications.push(`Failing node ${node}`);
  }
  for (const node of options.standby) {
    cib = setNodeAttribute(cib, node, 'standby', 'on');
    modifications.push(`Putting node ${node} in standby`);
  }
  // In crm_simulate's order, with its words: after the nodes, before the operations.
  const tickets: Array<[TicketAction, string[] | undefined, string]> = [
    ['grant', options.ticketGrant, 'Granting ticket'],
    ['revoke', options.ticketRevoke, 'Revoking ticket'],
    ['standby', options.ticketStandby, 'Making ticket %s standby'],
    ['activate', options.ticketActivate, 'Activating ticket'],
  ];
  for (const [action, ids, words] of tickets) {
    for (const ticket of ids ?? []) {
      cib = changeTicket(structuredClone(cib), action, ticket, nowS);
      modifications.push(words.includes('%s') ? words.replace('%s', ticket) : `${words} ${ticket}`);
    }
  }
  for (const spec of options.opInject) {
    cib = injectOperation(cib, spec, nowS);
    modifications.push(`Injecting ${spec}`);
  }
  const transition = schedule({ cib, nowS });
  return { before: start, modified: cib, transition, after: executeTransition(cib, transition, nowS), modifications };
}

/** With crm syntax there is no status: every configured node is taken to be up. */
export function allNodesUp(cib: Cib): Cib {
  let next = cib;
  for (const node of cib.configuration.nodes) next = nodeUp(next, node.uname);
  return next;
}

export function simulateCommand(file: string, options: SimulateOptions): string {
  const loaded = loadCib(file);
  // A saved input is decided again at its own time, as crm_simulate does, unless told otherwise.
  const original = options.time === undefined ? executionDateS(loaded.cib) : undefined;
  const nowS = options.time !== undefined ? Number(options.time) : (original ?? Math.floor(Date.now() / 1000));
  const start = loaded.format === 'crm' && loaded.cib.status.nodes.length === 0 ? allNodesUp(loaded.cib) : loaded.cib;
  const result = runSimulation(start, options, nowS);
  if (options.saveOutput) writeFileSync(options.saveOutput, writeCib(result.after));
  if (options.json) return JSON.stringify(simulationJson(result, nowS), null, 2);
  const out: string[] = original !== undefined ? [`Using the original execution date of: ${new Date(original * 1000).toISOString()}`] : [];
  for (const warning of loaded.warnings) out.push(`warning: ${warning.position.file}:${warning.position.line}:${warning.position.column}: ${warning.message}`);
  for (const warning of result.transition.warnings) out.push(`warning: ${warning}`);
  out.push('Current cluster status:', renderStatus(clusterView(result.before, nowS)), '');
  if (result.modifications.length > 0) out.push('Performing Requested Modifications:', ...result.modifications.map((line) => `  * ${line}`), '');
  if (options.showScores) out.push('Assignment Scores:', ...scoreLines(result.transition), '');
  out.push('Transition Summary:', ...summaryLines(result.transition), '');
  if (options.explain) out.push(explain(result.transition, options.explain), '');
  out.push('Revised Cluster Status:', renderStatus(clusterView(result.after, nowS)));
  return out.join('\n');
}

export function summaryLines(transition: Transition): string[] {
  const fences = transition.fencing.map(({ node, reason }) => `  * Fence (reboot) ${node} '${reason}'`);
  return [...fences, ...transition.summary.map((item) => item.line)];
}

function scoreLines(transition: Transition): string[] {
  const lines: string[] = [];
  for (const [resource, scores] of transition.scores) {
    for (const [node, score] of scores) lines.push(`  * ${resource} allocation score on ${node}: ${formatScore(score)}`);
  }
  return lines;
}

function simulationJson(result: SimulationResult, nowS: number) {
  return {
    time: nowS,
    modifications: result.modifications,
    before: clusterView(result.modified, nowS),
    fencing: result.transition.fencing,
    summary: result.transition.summary.map(({ line: _line, ...item }) => item),
    actions: result.transition.actions,
    blocked: result.transition.blocked,
    placement: result.transition.placement,
    after: clusterView(result.after, nowS),
  };
}
