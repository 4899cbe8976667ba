// A deadline for what the etcd client gives none: creating a watch waits for a connection
// for ever (for instance when TLS keeps failing); the caller must hear of it and say so.

export function withDeadline<T>(work: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer from etcd within ${limitMs} ms`)), limitMs);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
