// `tandem balancer --config FILE [--stats-port N]`: loads haproxy.cfg, reports what the reader
// warns about (file:line), serves until SIGTERM or SIGINT, then closes its listeners; `option
// httplog` lines go to the same log. With a
// stats port, HTTP on loopback serves the statistics: CSV at / (HAProxy's `;csv`), JSON at /json.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { readHaproxy } from '../formats/haproxy/index.js';
import { InputError } from '../model/errors.js';
import { Balancer } from './balancer.js';
import { statsCsv } from './stats.js';

function serveStats(balancer: Balancer, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    const rows = balancer.stats();
    if (request.url === '/json') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(rows)}\n`);
    } else if (request.url === '/' || request.url === '/;csv') {
      response.writeHead(200, { 'content-type': 'text/csv' }).end(statsCsv(rows));
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try / (CSV) or /json\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new InputError(`cannot serve stats on 127.0.0.1:${port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`)));
    server.listen({ host: '127.0.0.1', port }, () => resolve(server));
  });
}

export async function runBalancer(options: { configFile: string; statsPort?: number }, log: (line: string) => void): Promise<void> {
  let text: string;
  try {
    text = readFileSync(options.configFile, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${options.configFile}: ${(error as Error).message}`);
  }
  const { config, warnings } = readHaproxy(text, options.configFile);
  for (const warning of warnings) log(`${warning.position.file}:${warning.position.line}: warning: ${warning.message}`);
  const balancer = await Balancer.start(config, { log });
  const stats = options.statsPort === undefined ? undefined : await serveStats(balancer, options.statsPort);
  const listening = config.proxies.flatMap((proxy) => proxy.binds.flatMap((bind) => bind.addresses.map((address) => ('socket' in address ? address.socket : `${address.host || '*'}:${address.port}`))));
  log(`balancing ${config.proxies.length} proxies, listening on ${listening.join(' ')}${stats ? `; stats on http://127.0.0.1:${options.statsPort}/` : ''}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (received: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve(received);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  log(`${signal}: closing listeners and connections`);
  stats?.close();
  stats?.closeAllConnections();
  await balancer.close();
}
