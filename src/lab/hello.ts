// The lab's stand-in for an API service: answers every HTTP request with the name of the
// host it runs on, so a client sees which node served it.
// Usage: node hello.js PORT NAME [ADDRESS]

import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const name = process.argv[3] ?? 'unknown';
const address = process.argv[4];
createServer((_request, response) => {
  response.setHeader('connection', 'close');
  response.end(`${name}\n`);
}).listen(port, address);
