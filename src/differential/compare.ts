// Runs one case through Pacemaker's crm_simulate and through tandem, and compares their
// Transition Summary lines after normalising what may legitimately differ: clone
// instance numbers and column padding (and so the order of one clone's instance lines);
// then the resource actions of each one's transition (probes, starts, stops, promotes,
// demotes, notifications), as a multiset: the summary does not show probes or notifications.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCib } from '../formats/cib/index.js';
import { runSimulation, summaryLines } from '../cli/simulate.js';
import type { Transition } from '../scheduler/index.js';
import type { DifferentialCase } from './generate.js';

export interface CaseResult {
  testCase: DifferentialCase;
  pacemaker: string[];
  tandem: string[];
  match: boolean;
  /** Set when tandem threw: a bug, always a mismatch. */
  error?: string;
  /** crm_simulate crashed, or refused an injection: there is nothing to compare with. */
  skipped?: boolean;
}

/**
 * crm_simulate stopped on one of its own fatal assertions before printing a transition, or
 * could not inject an operation (an anonymous clone's id that no history names yet).
 */
export class PacemakerCrashed extends Error {}

export function normaliseLine(line: string): string {
  return line
    .replace(/([A-Za-z0-9_.-]):\d+\b/g, '$1:N')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Lines with instance numbers and padding normalised. Line order must match, except that
 * consecutive lines about instances of one clone may come in either order, because the
 * two schedulers may number the same instances differently.
 */
export function normalise(lines: string[]): string[] {
  const normalised = lines.map(normaliseLine);
  const cloneOf = (line: string) => /^\* \S+ (\S+):N /.exec(line)?.[1];
  const result: string[] = [];
  for (let index = 0; index < normalised.length; ) {
    const clone = cloneOf(normalised[index]!);
    let end = index + 1;
    while (clone !== undefined && end < normalised.length && cloneOf(normalised[end]!) === clone) end += 1;
    result.push(...normalised.slice(index, end).sort());
    index = end;
  }
  return result;
}

export function parseTransitionSummary(output: string): string[] {
  const lines = output.split('\n');
  const start = lines.findIndex((line) => line.startsWith('Transition Summary:'));
  if (start < 0) throw new Error(`crm_simulate printed no Transition Summary:\n${output.slice(0, 2000)}`);
  const summary: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || !line.startsWith('  ')) break;
    summary.push(line);
  }
  return summary;
}

const graphAction = /<action_set>\s*<rsc_op ([^>]*)>\s*<primitive ([^>]*)\/>\s*<attributes ([^>]*)\/>/g;
const attribute = (text: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(text)?.[1];

/** "action: TASK RESOURCE on NODE", the resource without its clone instance number (Pacemaker names an anonymous instance by its history id once it has one). */
function actionLine(task: string, resource: string, node: string): string {
  return `action: ${task} ${resource.replace(/:\d+$/, '')} on ${node}`;
}

/**
 * The resource actions of crm_simulate's transition graph (`-G`), sorted; a notification as
 * notify(pre-start). Recurring monitors and their cancellations are left out: tandem's
 * nodes run monitors from the resource's definition, not from the transition; so are the
 * deletions of stopped orphans' histories. Read from the graph rather than from the actions
 * crm_simulate goes on to execute, which stop short when the graph cannot complete.
 */
function parseGraphActions(graph: string): string[] {
  const actions: string[] = [];
  for (const [, op, primitive, attributes] of graph.matchAll(graphAction)) {
    const task = attribute(op!, 'operation')!;
    const intervalMs = attribute(attributes!, 'CRM_meta_interval') ?? '0';
    // Forgetting a stopped orphan's history is how each keeps its records (a tandem node does it after the stop), not a decision.
    if (task === 'cancel' || task === 'delete' || (task === 'monitor' && intervalMs !== '0')) continue;
    const shown = task === 'notify' ? `notify(${attribute(attributes!, 'CRM_meta_notify_type')}-${attribute(attributes!, 'CRM_meta_notify_operation')})` : task;
    actions.push(actionLine(shown, attribute(primitive!, 'long-id') ?? attribute(primitive!, 'id')!, attribute(op!, 'on_node')!));
  }
  return actions.sort();
}

/** The same for tandem's transition: its actions and its probes (monitors with no interval). */
function executedActions(transition: Transition): string[] {
  const actions = transition.actions
    .filter((action) => action.node !== undefined)
    .map((action) => actionLine(action.task === 'notify' ? `notify(${action.meta?.notify_type}-${action.meta?.notify_operation})` : action.task, action.resource, action.node!));
  const probes = transition.probes.map((probe) => actionLine('monitor', probe.historyId, probe.node));
  return [...actions, ...probes].sort();
}

export function crmSimulateArgs(testCase: DifferentialCase, file: string): string[] {
  const args = ['-x', file, '-S'];
  for (const node of testCase.nodeUp) args.push('--node-up', node);
  for (const node of testCase.nodeDown) args.push('--node-down', node);
  for (const node of testCase.nodeFail) args.push('--node-fail', node);
  for (const spec of testCase.opInject) args.push('--op-inject', spec);
  return args;
}

/** crm_simulate's Transition Summary lines. */
export function runPacemaker(testCase: DifferentialCase, nowS: number): string[] {
  return simulateWithPacemaker(testCase, nowS).summary;
}

/** `actions` is undefined when crm_simulate says its own graph is invalid (a loop): then only the summaries are compared. */
function simulateWithPacemaker(testCase: DifferentialCase, nowS: number): { summary: string[]; actions: string[] | undefined } {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-diff-'));
  try {
    const file = join(dir, 'cib.xml');
    const graph = join(dir, 'graph.xml');
    writeFileSync(file, writeCib(testCase.cib));
    // crm_simulate exits non-zero when executing its own transition fails (e.g. an ordering
    // loop), after printing the summary we compare; so read its output whatever the status.
    const result = spawnSync('crm_simulate', [...crmSimulateArgs(testCase, file), '-G', graph, '--set-datetime', new Date(nowS * 1000).toISOString().replace(/\.\d+Z$/, 'Z')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    if (result.error) throw result.error;
    if (!result.stdout.includes('Transition Summary:') && /fatal assertion/.test(result.stdout + result.stderr)) {
      throw new PacemakerCrashed(`crm_simulate crashed: ${/\S*assertion[^\n]*/.exec(result.stdout + result.stderr)?.[0] ?? ''}`);
    }
    const refused = /Invalid resource name: \S+/.exec(result.stdout + result.stderr);
    if (refused) throw new PacemakerCrashed(`crm_simulate could not inject: ${refused[0]}`);
    // crm_simulate says so on standard output or on standard error, depending on how its transition failed.
    const invalid = (result.stdout + result.stderr).includes('An invalid transition was produced');
    return { summary: parseTransitionSummary(result.stdout), actions: invalid ? undefined : existsSync(graph) ? parseGraphActions(readFileSync(graph, 'utf8')) : [] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function simulateWithTandem(testCase: DifferentialCase, nowS: number): { summary: string[]; actions: string[] } {
  const result = runSimulation(testCase.cib, { nodeUp: testCase.nodeUp, nodeDown: testCase.nodeDown, nodeFail: testCase.nodeFail, standby: [], opInject: testCase.opInject }, nowS);
  return { summary: summaryLines(result.transition), actions: executedActions(result.transition) };
}

const sameLines = (a: string[], b: string[]) => a.length === b.length && a.every((line, index) => line === b[index]);

export function compareCase(testCase: DifferentialCase, nowS: number): CaseResult {
  let pacemaker: { summary: string[]; actions: string[] | undefined };
  try {
    pacemaker = simulateWithPacemaker(testCase, nowS);
  } catch (error) {
    if (!(error instanceof PacemakerCrashed)) throw error;
    return { testCase, pacemaker: [error.message], tandem: [], match: false, skipped: true };
  }
  let tandem: { summary: string[]; actions: string[] };
  try {
    tandem = simulateWithTandem(testCase, nowS);
  } catch (error) {
    return { testCase, pacemaker: pacemaker.summary, tandem: [], match: false, error: error instanceof Error ? error.stack ?? error.message : String(error) };
  }
  const match = sameLines(normalise(pacemaker.summary), normalise(tandem.summary)) && (pacemaker.actions === undefined || sameLines(pacemaker.actions, tandem.actions));
  const pacemakerActions = pacemaker.actions ?? ['(no actions compared: crm_simulate found its own transition invalid)'];
  return { testCase, pacemaker: [...pacemaker.summary, ...pacemakerActions], tandem: [...tandem.summary, ...(pacemaker.actions ? tandem.actions : [])], match };
}
