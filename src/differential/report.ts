// Runs many random cases through both schedulers and describes the ones that differ.

import { writeCrm } from '../formats/crm/index.js';
import { compareCase, type CaseResult } from './compare.js';
import { generateCase } from './generate.js';

export interface DifferentialReport {
  cases: number;
  matches: number;
  failures: CaseResult[];
}

export function runDifferential(cases: number, seed: number, nowS: number): DifferentialReport {
  const failures: CaseResult[] = [];
  let matches = 0;
  for (let index = 0; index < cases; index += 1) {
    const result = compareCase(generateCase(seed + index), nowS);
    if (result.match) matches += 1;
    else failures.push(result);
  }
  return { cases, matches, failures };
}

export function describeFailure(result: CaseResult): string {
  const { testCase } = result;
  const lines = [
    `--- case seed ${testCase.seed}${testCase.nodeUp.length ? ' --node-up ' + testCase.nodeUp.join(',') : ''}${testCase.nodeDown.length ? ' --node-down ' + testCase.nodeDown.join(',') : ''}${testCase.opInject.length ? ' --op-inject ' + testCase.opInject.join(',') : ''}`,
    writeCrm(testCase.cib.configuration).trimEnd(),
    'status: ' + testCase.cib.status.nodes.map((state) => `${state.uname}${state.inCluster ? '' : '(offline)'}[${state.resources.map((history) => history.id + ':' + history.ops.map((op) => `${op.operation}=${op.rc}`).join('/')).join(' ')}]`).join(' '),
    'pacemaker:',
    ...result.pacemaker,
    'tandem:',
    ...result.tandem,
  ];
  if (result.error) lines.push('tandem error: ' + result.error);
  return lines.join('\n');
}
