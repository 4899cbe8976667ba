// bench/failover's `--fault etcd-leader`: the node of etcd's leader is powered off while
// another node holds the VIP. No failover is due: etcd elects a new leader, and the node
// holding the VIP must keep its lease through the election (with etcd's election timeout
// too long for the lease, every node stops what it runs). A client asks the VIP every
// 20 ms for 4 s from the fault; its failed attempts and the leases the surviving nodes
// lost are counted, and both should be 0.

import { createInterface } from 'node:readline';
import type { Attempt } from '../../src/drill/attempt.js';
import { labVip, type LabCluster } from '../../src/lab/cluster.js';
import { labServicePort, serviceHolder } from '../../src/lab/main.js';

export interface LeaderDrill {
  leader: string;
  holder: string;
  failedAttempts: number;
  leaseLosses: number;
}

const watchMs = 4_000;
const probeIntervalMs = 20;

/** One drill; the powered-off node is booted again and back in the cluster when it returns. */
export async function etcdLeaderDrill(lab: LabCluster): Promise<LeaderDrill> {
  // The DC keeps etcd's leadership away from the node that runs most (here, the VIP's).
  await lab.waitFor('etcd\'s leader away from the VIP', () => ![undefined, serviceHolder(lab)].includes(lab.etcdLeader()));
  const leader = lab.nodes.find((node) => node.name === lab.etcdLeader())!;
  const holder = serviceHolder(lab)!;
  const attempts: Attempt[] = [];
  const probe = lab.startProbe(labVip, labServicePort, probeIntervalMs, watchMs + 10_000);
  createInterface({ input: probe.stdout! }).on('line', (line) => attempts.push(JSON.parse(line) as Attempt));
  try {
    await lab.waitFor('the client to be served', () => attempts.filter((attempt) => attempt.ok).length >= 5);
    const lossesBefore = lab.leaseLosses().length;
    const faultMs = Date.now();
    lab.killHard(leader);
    await new Promise((resolve) => setTimeout(resolve, watchMs));
    return { leader: leader.name, holder, failedAttempts: attempts.filter((attempt) => !attempt.ok && attempt.sentMs >= faultMs).length, leaseLosses: lab.leaseLosses().length - lossesBefore };
  } finally {
    probe.stdin!.end();
    probe.kill('SIGTERM');
    await lab.bootAfterKill(leader);
    await lab.waitFor(`${leader.name} to be back`, () => lab.members().includes(leader.name) && serviceHolder(lab) !== undefined);
  }
}
