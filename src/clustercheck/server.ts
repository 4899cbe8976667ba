// The HTTP side of the Galera health endpoint: every request, whatever its method and path
// (HAProxy's `option httpchk` sends OPTIONS / by default), gets the node's current answer and
// the connection closes, as from the clustercheck script under xinetd. Requests arriving
// while a reading is under way share it, so a burst of checks runs one client at a time.

import { createServer, type Server } from 'node:http';
import { InputError } from '../model/errors.js';
import { clustercheckAnswer, type ClustercheckAnswer, type ClustercheckPolicy, type WsrepReading } from './decision.js';
import type { LocalStateSource } from './mysql-client.js';

export interface ClustercheckServerOptions {
  /** None: every address. */
  host?: string;
  port: number;
  policy: ClustercheckPolicy;
  /** Told when the answer changes (and the first time), with the reason. */
  changed?: (answer: ClustercheckAnswer) => void;
}

export function serveClustercheck(source: LocalStateSource, options: ClustercheckServerOptions): Promise<Server> {
  let reading: Promise<WsrepReading> | undefined;
  let last: string | undefined;
  const answerNow = async (): Promise<ClustercheckAnswer> => {
    reading ??= source.read().finally(() => (reading = undefined));
    const answer = clustercheckAnswer(await reading, options.policy);
    const summary = `${answer.status} ${answer.reason}`;
    if (summary !== last) options.changed?.(answer);
    last = summary;
    return answer;
  };
  const server = createServer((request, response) => {
    request.resume();
    void answerNow().then((answer) => {
      response.writeHead(answer.status, { 'content-type': 'text/plain', connection: 'close', 'content-length': Buffer.byteLength(answer.body) }).end(answer.body);
    });
  });
  const where = `${options.host ?? '*'}:${options.port}`;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new InputError(`clustercheck cannot listen on ${where}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`)));
    server.listen({ host: options.host, port: options.port }, () => resolve(server));
  });
}
