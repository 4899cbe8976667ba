// bench/scheduler: time to compute a transition for generated clusters of 100, 1,000 and
// 10,000 resources on 16 nodes, for tandem and for Pacemaker's crm_simulate (-R: compute
// the transition, without simulating its execution) on the same
// CIB XML in the same run. Prints both and the ratio.
//
//   node dist/bench/scheduler/main.js [--sizes 100,1000,10000] [--runs 3] [--crm-limit-min 30]
//
// crm_simulate is stopped after --crm-limit-min minutes (at 10,000 resources it can take
// longer than that); the table then shows the limit as a lower bound.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readCib, writeCib } from '../../src/formats/cib/index.js';
import { emptyCib, type Cib } from '../../src/model/cib.js';
import type { Constraint, Primitive, Resource } from '../../src/model/config.js';
import { Random } from '../../src/differential/generate.js';
import { schedule } from '../../src/scheduler/index.js';

const nodeCount = 16;

function dummy(id: string): Primitive {
  return {
    kind: 'primitive',
    id,
    agent: { class: 'ocf', provider: 'pacemaker', type: 'Dummy' },
    params: {},
    meta: {},
    utilization: {},
    ops: [{ name: 'monitor', interval: '10s', intervalMs: 10_000, attributes: {} }],
    extra: {},
  };
}

/** A cluster with `size` primitives: most standalone, some in groups of 3, a few clones, with constraints. */
export function benchCluster(size: number, seed = 7): Cib {
  const random = new Random(seed);
  const cib = emptyCib();
  cib.configuration.properties = { 'stonith-enabled': 'false' };
  cib.configuration.rscDefaults = { 'resource-stickiness': '100' };
  const nodes = Array.from({ length: nodeCount }, (_, index) => `node${index + 1}`);
  cib.configuration.nodes = nodes.map((uname, index) => ({ id: String(index + 1), uname, attributes: { rack: String(index % 4) }, utilization: {}, extra: {} }));
  const resources: Resource[] = [];
  const topIds: string[] = [];
  let primitives = 0;
  while (primitives < size) {
    const id = `r${resources.length}`;
    const kind = random.next();
    if (kind < 0.1 && size - primitives >= 3) {
      resources.push({ kind: 'group', id, children: [0, 1, 2].map((member) => dummy(`${id}m${member}`)), meta: {}, params: {}, extra: {} });
      primitives += 3;
    } else if (kind < 0.13) {
      resources.push({ kind: 'clone', id, promotable: false, legacyMaster: false, child: dummy(`${id}c`), meta: { 'clone-max': '4' }, params: {}, extra: {} });
      primitives += 4;
    } else {
      resources.push(dummy(id));
      primitives += 1;
    }
    topIds.push(id);
  }
  const constraints: Constraint[] = [];
  for (let index = 0; index < size / 10; index += 1) {
    const rsc = random.pick(topIds);
    constraints.push({ type: 'location', id: `l${index}`, rsc, score: random.pick(['100', '-INFINITY', '50']), node: random.pick(nodes), rules: [], extra: {} });
  }
  for (let index = 0; index < size / 20; index += 1) {
    const rsc = random.pick(topIds);
    const withRsc = random.pick(topIds);
    if (rsc !== withRsc) constraints.push({ type: 'colocation', id: `co${index}`, score: random.pick(['INFINITY', '100']), rsc: { id: rsc }, withRsc: { id: withRsc }, extra: {} });
    const first = random.pick(topIds);
    const then = random.pick(topIds);
    if (first !== then) constraints.push({ type: 'order', id: `o${index}`, kind: 'Optional', first: { id: first }, then: { id: then }, extra: {} });
  }
  cib.configuration.resources = resources;
  cib.configuration.constraints = constraints;
  cib.status.nodes = nodes.map((uname, index) => ({
    id: String(index + 1),
    uname,
    inCluster: index !== 0,
    controllerOnline: index !== 0,
    join: index !== 0 ? 'member' : 'down',
    expected: index !== 0 ? 'member' : 'down',
    transientAttributes: {},
    resources: [],
    extra: {},
  }));
  return cib;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Milliseconds crm_simulate took; 'timed out' when it was stopped at the time limit; undefined when it failed. */
function timeCrmSimulate(file: string, timeoutMs: number): number | 'timed out' | undefined {
  const started = performance.now();
  try {
    execFileSync('crm_simulate', ['-x', file, '-R', '-Q'], { stdio: 'ignore', timeout: timeoutMs });
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? 'timed out' : undefined;
  }
  return performance.now() - started;
}

function main(): void {
  const sizesArg = process.argv.indexOf('--sizes');
  const runsArg = process.argv.indexOf('--runs');
  const sizes = (sizesArg > 0 ? process.argv[sizesArg + 1]! : '100,1000,10000').split(',').map(Number);
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
  const limitArg = process.argv.indexOf('--crm-limit-min');
  const limitMs = (limitArg > 0 ? Number(process.argv[limitArg + 1]) : 30) * 60_000;
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
  const nowS = Math.floor(Date.now() / 1000);
  console.log(`bench/scheduler: ${nodeCount} nodes, median of ${runs} runs (crm_simulate: 1 run above 1,000 resources)`);
  console.log('resources | tandem schedule ms | tandem parse+schedule ms | crm_simulate ms | crm_simulate / tandem');
  try {
    for (const size of sizes) {
      const xml = writeCib(benchCluster(size));
      const file = join(dir, `cib-${size}.xml`);
      writeFileSync(file, xml);
      const scheduleTimes: number[] = [];
      const totalTimes: number[] = [];
      for (let run = 0; run < runs; run += 1) {
        const started = performance.now();
        const cib = readCib(xml, file);
        const parsed = performance.now();
        schedule({ cib, nowS });
        const done = performance.now();
        scheduleTimes.push(done - parsed);
        totalTimes.push(done - started);
      }
      const pacemakerRuns = size > 1000 ? 1 : runs;
      const pacemakerTimes: number[] = [];
      let timedOut = false;
      for (let run = 0; run < pacemakerRuns && !timedOut; run += 1) {
        const elapsed = timeCrmSimulate(file, limitMs);
        if (elapsed === 'timed out') timedOut = true;
        else if (elapsed !== undefined) pacemakerTimes.push(elapsed);
      }
      const tandemTotal = median(totalTimes);
      const pacemaker = pacemakerTimes.length > 0 ? median(pacemakerTimes) : Number.NaN;
      // A crm_simulate stopped at the limit took longer than the limit: the ratio is at least that.
      const pacemakerText = timedOut ? `>${limitMs.toFixed(0)}` : Number.isNaN(pacemaker) ? 'failed' : pacemaker.toFixed(1);
      const ratio = timedOut ? `>${(limitMs / tandemTotal).toFixed(0)}x` : Number.isNaN(pacemaker) ? 'n/a' : `${(pacemaker / tandemTotal).toFixed(1)}x`;
      console.log(`${String(size).padStart(9)} | ${median(scheduleTimes).toFixed(1).padStart(18)} | ${tandemTotal.toFixed(1).padStart(24)} | ${pacemakerText.padStart(15)} | ${ratio}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
