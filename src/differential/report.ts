// Runs many random cases through both schedulers and describes the ones that differ.

import { writeCrm } from '../formats/crm/index.js';
import type { NodeState } from '../model/status.js';
import { compareCase, type CaseResult } from './compare.js';
import { generateCase } from './generate.js';

export interface DifferentialReport {
  /** Cases compared: those where crm_simulate crashed are left out. */
  cases: number;
  matches: number;
  failures: CaseResult[];
  /** Cases crm_simulate crashed on (a failed assertion of its own). */
  skipped: CaseResult[];
}

export function runDifferential(cases: number, seed: number, nowS: number): DifferentialReport {
  const failures: CaseResult[] = [];
  const skipped: CaseResult[] = [];
  let matches = 0;
  for (let index = 0; index < cases; index += 1) {
    const result = compareCase(generateCase(seed + index), nowS);
    if (result.skipped) skipped.push(result);
    else if (result.match) matches += 1;
    else failures.push(result);
  }
  return { cases: cases - skipped.length, matches, failures, skipped };
}

function describeNode(state: NodeState): string {
  const history = state.resources.map((entry) => entry.id + ':' + entry.ops.map((op) => `${op.operation}${op.intervalMs > 0 ? '_' + op.intervalMs : ''}=${op.rc}`).join('/'));
  const attributes = Object.entries(state.transientAttributes).map(([name, value]) => `${name}=${value}`);
  return `${state.uname}${state.inCluster ? '' : '(offline)'}[${history.join(' ')}]${attributes.length > 0 ? '{' + attributes.join(' ') + '}' : ''}`;
}

export function describeFailure(result: CaseResult): string {
  const { testCase } = result;
  const lines = [
    `--- case seed ${testCase.seed}${testCase.nodeUp.length ? ' --node-up ' + testCase.nodeUp.join(',') : ''}${testCase.nodeDown.length ? ' --node-down ' + testCase.nodeDown.join(',') : ''}${testCase.nodeFail.length ? ' --node-fail ' + testCase.nodeFail.join(',') : ''}${testCase.opInject.length ? ' --op-inject ' + testCase.opInject.join(',') : ''}`,
    writeCrm(testCase.cib.configuration).trimEnd(),
    `status${testCase.cib.haveQuorum ? '' : ' (no quorum)'}: ` + testCase.cib.status.nodes.map(describeNode).join(' '),
    ...(testCase.cib.status.tickets ? [`tickets: ${testCase.cib.status.tickets.map((ticket) => `${ticket.id}${ticket.granted ? '(granted)' : '(revoked)'}${ticket.standby ? '(standby)' : ''}`).join(' ') || 'none granted'}`] : []),
    'pacemaker:',
    ...result.pacemaker,
    'tandem:',
    ...result.tandem,
  ];
  if (result.error) lines.push('tandem error: ' + result.error);
  return lines.join('\n');
}
