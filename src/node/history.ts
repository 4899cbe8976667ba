// The scheduler inputs that led to work (Pacemaker's pe-input files): each kept as CIB XML
// with its Transition Summary beside it, so any decision can be replayed with
// `tandem simulate FILE` (or crm_simulate -x FILE). The newest pe-input-series-max are kept
// (4000 unless set; -1 keeps all, 0 none), as Pacemaker keeps its pe-input series.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCib } from '../formats/cib/index.js';
import { executionDateAttribute, type Cib } from '../model/cib.js';
import type { Transition } from '../scheduler/index.js';

const defaultSeriesMax = 4000;

export interface HistoryEntry {
  file: string;
  revision: number;
  summary: string[];
}

export class InputHistory {
  private readonly directory: string;

  constructor(dataDir: string) {
    this.directory = join(dataDir, 'history');
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
  }

  /**
   * Keeps the input (unless pe-input-series-max is 0: none kept), then the newest
   * pe-input-series-max (-1: all). The time of the decision goes in as Pacemaker's
   * `execution-date`, so a replay decides at that time (failure-timeout, rules). Returns the
   * file kept, if any.
   */
  record(cib: Cib, transition: Transition, revision: number, nowS: number): string | undefined {
    const limit = Number.parseInt(cib.configuration.properties['pe-input-series-max'] ?? '', 10);
    const keep = Number.isFinite(limit) ? (limit < 0 ? Infinity : limit) : defaultSeriesMax;
    let file: string | undefined;
    if (keep > 0) {
      const name = `pe-input-${String(revision).padStart(8, '0')}`;
      file = join(this.directory, `${name}.xml`);
      writeFileSync(file, writeCib({ ...cib, attributes: { ...cib.attributes, [executionDateAttribute]: String(nowS) } }));
      writeFileSync(join(this.directory, `${name}.summary`), transition.summary.map((item) => item.line).join('\n') + '\n');
    }
    this.prune(keep);
    return file;
  }

  list(): HistoryEntry[] {
    return this.inputs().map((file) => {
      const base = file.slice(0, -'.xml'.length);
      let summary: string[] = [];
      try {
        summary = readFileSync(join(this.directory, `${base}.summary`), 'utf8').split('\n').filter(Boolean);
      } catch {
        summary = [];
      }
      return { file: join(this.directory, file), revision: Number(base.slice('pe-input-'.length)), summary };
    });
  }

  private inputs(): string[] {
    return readdirSync(this.directory).filter((file) => /^pe-input-\d+\.xml$/.test(file)).sort();
  }

  private prune(keep: number): void {
    const files = this.inputs();
    if (files.length <= keep) return;
    for (const file of files.slice(0, files.length - keep)) {
      const base = file.slice(0, -'.xml'.length);
      rmSync(join(this.directory, file), { force: true });
      rmSync(join(this.directory, `${base}.summary`), { force: true });
    }
  }
}
