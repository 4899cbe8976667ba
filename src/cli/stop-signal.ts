// The end of a long-running command: the first SIGTERM or SIGINT. The shell owns signals;
// the commands it runs are handed this promise and wind down when it resolves.

export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (received: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve(received);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
