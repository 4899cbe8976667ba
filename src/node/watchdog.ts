// This node's watchdog (Linux's /dev/watchdog, or the lab's stand-in): fed while the node
// is healthy, so the machine resets when tandem dies, hangs, or has lost its lease without
// stopping what it ran. A planned stop writes the magic 'V' before closing, as the
// watchdog API asks, so that stopping tandem does not reset the machine.

import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';

/** Fed this many times per timeout: a late tick or two still leaves time. */
const feedsPerTimeout = 4;
const feedByte = Buffer.from('1');
const magicClose = Buffer.from('V');

export class WatchdogFeeder {
  private handle: FileHandle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private starving = false;

  constructor(
    private readonly path: string,
    private readonly timeoutMs: number,
    /** Whether the node may go on: its lease holds, or it has stopped everything it ran. */
    private readonly healthy: () => boolean,
    private readonly log: Logger,
  ) {}

  /** Opens the device (which arms it) and feeds it from now on. */
  async start(): Promise<void> {
    try {
      this.handle = await open(this.path, 'w');
    } catch (error) {
      throw new Error(`cannot open the watchdog ${this.path}: ${(error as Error).message}`);
    }
    this.feed();
    this.timer = setInterval(() => this.feed(), Math.max(1, Math.floor(this.timeoutMs / feedsPerTimeout)));
    this.log.info({ watchdog: this.path, timeoutMs: this.timeoutMs }, 'watchdog armed');
  }

  /** Disarms it (magic close): for a planned stop only. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    const handle = this.handle;
    this.handle = undefined;
    if (!handle) return;
    await handle.write(magicClose).catch(() => undefined);
    await handle.close().catch(() => undefined);
    this.log.info({ watchdog: this.path }, 'watchdog disarmed');
  }

  private feed(): void {
    if (!this.handle) return;
    if (!this.healthy()) {
      if (!this.starving) this.log.error({ watchdog: this.path, timeoutMs: this.timeoutMs }, 'lease lost with resources not stopped: no longer feeding the watchdog; this machine resets unless they stop in time');
      this.starving = true;
      return;
    }
    if (this.starving) this.log.warn({ watchdog: this.path }, 'healthy again: feeding the watchdog');
    this.starving = false;
    this.handle.write(feedByte).catch((error: Error) => this.log.error({ err: error.message, watchdog: this.path }, 'cannot feed the watchdog'));
  }
}
