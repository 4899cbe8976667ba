// Pacemaker's agents call Pacemaker's tools; the one they need to run is crm_attribute
// (promotion scores: `crm_attribute --promotion -v N`). tandem puts a crm_attribute of its
// own in <data-dir>/sbin and points agents there (HA_SBIN_DIR), so unmodified agents such
// as ocf:pacemaker:Stateful set their scores through this node's control socket.

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function pacemakerToolShims(dataDir: string, nodeName: string): Record<string, string> {
  const sbin = join(dataDir, 'sbin');
  mkdirSync(sbin, { recursive: true, mode: 0o700 });
  const script = `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(cli)} crm_attribute "$@"\n`;
  for (const tool of ['crm_attribute']) {
    const path = join(sbin, tool);
    writeFileSync(path, script);
    chmodSync(path, 0o755);
  }
  return { HA_SBIN_DIR: sbin, TANDEM_DATA_DIR: dataDir, TANDEM_NODE: nodeName };
}
