// This node's etcd member, run and supervised by tandem (so an operator runs only tandem):
// started with the cluster's TLS credentials and the lease's timings, restarted with a
// growing pause if it exits on its own, and ended with tandem, even when tandem is
// killed (setpriv's parent-death signal), so a restarted tandem never finds an orphan on
// its ports.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { credentialFiles } from './credentials.js';
import type { ClusterSettings } from './settings.js';

const firstRestartPauseMs = 100;
const longestRestartPauseMs = 5_000;
/** A member that ran this long before it exited starts again at once. */
const healthyRunMs = 30_000;
const stopLimitMs = 10_000;

export const etcdDataDir = (dataDir: string) => join(dataDir, 'etcd');

/** etcd's command line for this node's member; `initial` matters only while its data directory is empty. */
export function etcdMemberArguments(settings: ClusterSettings, dataDir: string): string[] {
  if (settings.etcd.mode !== 'own') throw new Error('etcd is not run by this node');
  const { clientPort, peerPort, timing, initialCluster, initialState } = settings.etcd;
  const address = settings.addresses[0]!;
  const { caCert, cert, key } = credentialFiles(settings.credentialsDir);
  return [
    '--name', settings.nodeName,
    '--data-dir', etcdDataDir(dataDir),
    '--listen-client-urls', `https://${address}:${clientPort},https://127.0.0.1:${clientPort}`,
    '--advertise-client-urls', `https://${address}:${clientPort}`,
    '--listen-peer-urls', `https://${address}:${peerPort}`,
    '--initial-advertise-peer-urls', `https://${address}:${peerPort}`,
    '--initial-cluster', initialCluster,
    '--initial-cluster-state', initialState,
    '--initial-cluster-token', `tandem-${settings.clusterName}`,
    '--heartbeat-interval', String(timing.heartbeatMs),
    '--election-timeout', String(timing.electionMs),
    // A member cut off and back must not depose the leader with the terms it ran up alone.
    '--pre-vote',
    '--cert-file', cert, '--key-file', key, '--trusted-ca-file', caCert, '--client-cert-auth',
    '--peer-cert-file', cert, '--peer-key-file', key, '--peer-trusted-ca-file', caCert, '--peer-client-cert-auth',
  ];
}

const hasSetpriv = () => !spawnSync('setpriv', ['--version']).error;

export class EtcdMember {
  private child: ChildProcess | undefined;
  private stopping = false;
  private pauseMs = firstRestartPauseMs;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly command: string[];
  private readonly logFile: string;

  constructor(
    settings: ClusterSettings,
    dataDir: string,
    private readonly log: Logger,
  ) {
    const etcd = ['etcd', ...etcdMemberArguments(settings, dataDir)];
    this.command = hasSetpriv() ? ['setpriv', '--pdeathsig', 'KILL', '--', ...etcd] : etcd;
    this.logFile = join(dataDir, 'etcd.log');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether this member has run before (its data directory exists): initial settings no longer apply. */
  static hasData(dataDir: string): boolean {
    return existsSync(join(etcdDataDir(dataDir), 'member'));
  }

  start(): void {
    this.stopping = false;
    const output = openSync(this.logFile, 'a');
    const startedMs = Date.now();
    const child = spawn(this.command[0]!, this.command.slice(1), { stdio: ['ignore', output, output] });
    closeSync(output);
    this.child = child;
    child.once('error', (error) => this.log.error({ err: error.message }, 'cannot run etcd (is etcd-server installed?)'));
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      if (Date.now() - startedMs >= healthyRunMs) this.pauseMs = firstRestartPauseMs;
      this.log.error({ code, signal, restartInMs: this.pauseMs, logFile: this.logFile }, 'etcd member exited; restarting it');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (!this.stopping) this.start();
      }, this.pauseMs);
      this.pauseMs = Math.min(longestRestartPauseMs, this.pauseMs * 2);
    });
    this.log.info({ pid: child.pid, logFile: this.logFile }, 'etcd member started');
  }

  /** Ends the member (SIGTERM, SIGKILL after stopLimitMs) and stops supervising it. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), stopLimitMs);
    await exited;
    clearTimeout(killer);
  }
}
