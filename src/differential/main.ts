// `npm run differential -- --cases N --seed S`: runs random clusters through both Pacemaker's
// crm_simulate and tandem, prints the match rate and the first differing cases, minimised.

import { Command } from 'commander';
import { compareCase } from './compare.js';
import { caseTimeS } from './generate.js';
import { minimise } from './minimise.js';
import { describeFailure, runDifferential } from './report.js';

const program = new Command();
program
  .option('--cases <n>', 'number of random cases', '300')
  .option('--seed <n>', 'first seed', '1')
  .option('--show <n>', 'how many differing cases to print, minimised', '3')
  .action((options: { cases: string; seed: string; show: string }) => {
    const nowS = caseTimeS;
    const report = runDifferential(Number(options.cases), Number(options.seed), nowS);
    const rate = ((100 * report.matches) / Math.max(1, report.cases)).toFixed(1);
    for (const failure of report.failures.slice(0, Number(options.show))) {
      const small = minimise(failure.testCase, nowS);
      console.log(describeFailure(compareCase(small, nowS)));
    }
    const last = Number(options.seed) + Number(options.cases) - 1;
    const skipped = report.skipped.length > 0 ? ` (${report.skipped.length} left out: crm_simulate crashed or refused an injection on seeds ${report.skipped.map((result) => result.testCase.seed).join(', ')})` : '';
    console.log(`differential: ${report.matches}/${report.cases} cases match crm_simulate (${rate}%), seeds ${options.seed}..${last}${skipped}`);
  });

await program.parseAsync(process.argv);
