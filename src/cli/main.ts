#!/usr/bin/env node
// The `tandem` command. User mistakes (InputError) print one clear line and exit 1; only a
// bug in tandem itself shows a stack trace.

import { Command } from 'commander';
import { InputError } from '../model/errors.js';
import { simulateCommand } from './simulate.js';

const collect = (value: string, previous: string[]) => [...previous, value];

const program = new Command();
program.name('tandem').description('A high-availability cluster stack: Pacemaker-compatible scheduling, failover and load balancing').version('0.1.0');

program
  .command('simulate')
  .description('show what the cluster would do (like crm_simulate), from crm syntax or CIB XML')
  .argument('<file>', 'configuration: crm shell syntax or CIB XML ("-" for standard input)')
  .option('-u, --node-up <node>', 'bring a node online', collect, [])
  .option('-d, --node-down <node>', 'take a node offline cleanly', collect, [])
  .option('-f, --node-fail <node>', 'mark a node as failed (it must be fenced)', collect, [])
  .option('-s, --standby <node>', 'put a node in standby', collect, [])
  .option('-i, --op-inject <spec>', 'inject an operation result: RSC_TASK_INTERVALMS@NODE=RC', collect, [])
  .option('--json', 'print the same facts as JSON')
  .option('-O, --save-output <file>', 'write the resulting CIB XML (to simulate again)')
  .option('--explain <resource>', 'say why a resource goes where it goes')
  .option('--show-scores', 'print the final node scores of every resource')
  .option('--time <seconds>', 'simulate at this time (seconds since the epoch)')
  .action((file: string, options) => {
    process.stdout.write(simulateCommand(file, options) + '\n');
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof InputError) {
    process.stderr.write(`tandem: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
