// The stats port of `tandem balancer --stats-port N`, on loopback: the HTML page at /, the CSV
// at /;csv (HAProxy's `stats uri` suffix, `;norefresh` and other options allowed after it),
// the rows as JSON at /json.

import { createServer, type Server } from 'node:http';
import { InputError } from '../model/errors.js';
import { statsHtml } from './stats-page.js';
import { statsCsv, type StatsRow } from './stats.js';

export function serveStats(stats: () => StatsRow[], port: number): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    const [base, ...options] = path.split(';');
    if (base === '/json' && options.length === 0) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(stats())}\n`);
    } else if (base === '/' && options.includes('csv')) {
      response.writeHead(200, { 'content-type': 'text/csv' }).end(statsCsv(stats()));
    } else if (base === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(statsHtml(stats()));
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try / (HTML), /;csv (CSV) or /json\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new InputError(`cannot serve stats on 127.0.0.1:${port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`)));
    server.listen({ host: '127.0.0.1', port }, () => resolve(server));
  });
}
