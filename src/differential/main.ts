// `npm run differential -- --cases N --seed S`: runs random clusters through both Pacemaker's
// crm_simulate and tandem, prints the match rate and the first differing cases, minimised.

import { Command } from 'commander';
import { writeCrm } from '../formats/crm/index.js';
import { compareCase, type CaseResult } from './compare.js';
import { generateCase } from './generate.js';
import { minimise } from './minimise.js';

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

const program = new Command();
program
  .option('--cases <n>', 'number of random cases', '300')
  .option('--seed <n>', 'first seed', '1')
  .option('--show <n>', 'how many differing cases to print, minimised', '3')
  .action((options: { cases: string; seed: string; show: string }) => {
    const nowS = Math.floor(Date.now() / 1000);
    const report = runDifferential(Number(options.cases), Number(options.seed), nowS);
    const rate = ((100 * report.matches) / Math.max(1, report.cases)).toFixed(1);
    for (const failure of report.failures.slice(0, Number(options.show))) {
      const small = minimise(failure.testCase, nowS);
      console.log(describeFailure(compareCase(small, nowS)));
    }
    console.log(`differential: ${report.matches}/${report.cases} cases match crm_simulate (${rate}%), seeds ${options.seed}..${Number(options.seed) + report.cases - 1}`);
  });

await program.parseAsync(process.argv);
