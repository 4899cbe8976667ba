#!/usr/bin/env node
// The `tandem` command. User mistakes (InputError) print one clear line and exit 1; only a
// bug in tandem itself shows a stack trace.

import { Command } from 'commander';
import { InputError } from '../model/errors.js';
import { call } from '../api/client.js';
import { runNode, type StatusReport } from '../node/daemon.js';
import { readText } from './load.js';
import { simulateCommand } from './simulate.js';
import { renderReport } from './status.js';

const defaultDataDir = process.env.TANDEM_DATA_DIR ?? '/var/lib/tandem';

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

program
  .command('node')
  .description('run this machine\'s tandem node daemon (single node, embedded store)')
  .option('--data-dir <dir>', 'where the node keeps its state and control socket', defaultDataDir)
  .option('--name <name>', 'this node\'s name (default: the host name)')
  .action(async (options: { dataDir: string; name?: string }) => {
    await runNode({ dataDir: options.dataDir, ...(options.name ? { name: options.name } : {}) });
  });

program
  .command('status')
  .description('show nodes, resources and failures, like crm_mon')
  .option('--data-dir <dir>', 'the node\'s data directory', defaultDataDir)
  .option('--json', 'print the same facts as JSON')
  .action(async (options: { dataDir: string; json?: boolean }) => {
    const report = (await call(options.dataDir, { method: 'status' })) as StatusReport;
    process.stdout.write((options.json ? JSON.stringify(report, null, 2) : renderReport(report)) + '\n');
  });

const configure = program.command('configure').description('load or show the cluster configuration');
configure
  .command('load')
  .description('replace the configuration with FILE (crm syntax or CIB XML); nothing changes unless all of it is valid')
  .argument('<file>', 'configuration file ("-" for standard input)')
  .option('--data-dir <dir>', 'the node\'s data directory', defaultDataDir)
  .action(async (file: string, options: { dataDir: string }) => {
    const result = (await call(options.dataDir, { method: 'configure.load', text: readText(file), file })) as { revision: number; warnings: Array<{ message: string; position: { file: string; line: number; column: number } }> };
    for (const warning of result.warnings) process.stderr.write(`warning: ${warning.position.file}:${warning.position.line}:${warning.position.column}: ${warning.message}\n`);
    process.stdout.write(`configuration loaded (store revision ${result.revision})\n`);
  });
configure
  .command('show')
  .description('print the configuration in crm syntax')
  .option('--data-dir <dir>', 'the node\'s data directory', defaultDataDir)
  .action(async (options: { dataDir: string }) => {
    process.stdout.write(String(await call(options.dataDir, { method: 'configure.show' })));
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
