// Runs one case through Pacemaker's crm_simulate and through tandem, and compares their
// Transition Summary lines after normalising what may legitimately differ: clone
// instance numbers and column padding (and so the order of one clone's instance lines).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCib } from '../formats/cib/index.js';
import { runSimulation, summaryLines } from '../cli/simulate.js';
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

export function crmSimulateArgs(testCase: DifferentialCase, file: string): string[] {
  const args = ['-x', file, '-S'];
  for (const node of testCase.nodeUp) args.push('--node-up', node);
  for (const node of testCase.nodeDown) args.push('--node-down', node);
  for (const node of testCase.nodeFail) args.push('--node-fail', node);
  for (const spec of testCase.opInject) args.push('--op-inject', spec);
  return args;
}

export function runPacemaker(testCase: DifferentialCase, nowS: number): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-diff-'));
  try {
    const file = join(dir, 'cib.xml');
    writeFileSync(file, writeCib(testCase.cib));
    // crm_simulate exits non-zero when executing its own transition fails (e.g. an ordering
    // loop), after printing the summary we compare; so read its output whatever the status.
    const result = spawnSync('crm_simulate', [...crmSimulateArgs(testCase, file), '--set-datetime', new Date(nowS * 1000).toISOString().replace(/\.\d+Z$/, 'Z')], {
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
    return parseTransitionSummary(result.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runTandem(testCase: DifferentialCase, nowS: number): string[] {
  const result = runSimulation(testCase.cib, { nodeUp: testCase.nodeUp, nodeDown: testCase.nodeDown, nodeFail: testCase.nodeFail, standby: [], opInject: testCase.opInject }, nowS);
  return summaryLines(result.transition);
}

export function compareCase(testCase: DifferentialCase, nowS: number): CaseResult {
  let pacemaker: string[];
  try {
    pacemaker = runPacemaker(testCase, nowS);
  } catch (error) {
    if (!(error instanceof PacemakerCrashed)) throw error;
    return { testCase, pacemaker: [error.message], tandem: [], match: false, skipped: true };
  }
  let tandem: string[];
  try {
    tandem = runTandem(testCase, nowS);
  } catch (error) {
    return { testCase, pacemaker, tandem: [], match: false, error: error instanceof Error ? error.stack ?? error.message : String(error) };
  }
  const a = normalise(pacemaker);
  const b = normalise(tandem);
  return { testCase, pacemaker, tandem, match: a.length === b.length && a.every((line, index) => line === b[index]) };
}
