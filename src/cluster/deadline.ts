// A deadline for what the etcd client gives none: creating a watch waits for a connection
// for ever (for instance when TLS keeps failing); the caller must hear of it and say so.
// And etcd's failures told in an operator's words.

import { GRPCDeadlineExceededError, GRPCUnavailableError } from 'etcd3';

/**
 * `work` or, past `limitMs`, an error; what `work` still gives after that goes to `discard`
 * (a watch set up too late, say, which would otherwise live on unseen).
 */
export function withDeadline<T>(work: Promise<T>, limitMs: number, what: string, discard?: (late: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      if (discard) work.then(discard, () => undefined);
      reject(new Error(`${what}: no answer from etcd within ${limitMs} ms`));
    }, limitMs);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/**
 * An etcd call that failed, in words an operator can act on, instead of gRPC's own ("4
 * DEADLINE_EXCEEDED: Deadline exceeded after 0.499s,Waiting for LB pick"); other errors as
 * they are.
 */
export function explainEtcdError(error: unknown): unknown {
  if (error instanceof GRPCDeadlineExceededError) return new Error('the cluster store (etcd) did not answer in time: a quorum of its members may be out of reach, or this node\'s member is still starting; try again');
  if (error instanceof GRPCUnavailableError) return new Error(`the cluster store (etcd) is unavailable (${error.message.replace(/^\w+: /, '')}); try again`);
  return error;
}
