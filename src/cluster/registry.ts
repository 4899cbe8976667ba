// Which tandem clusters an etcd holds, and what every member of each must agree on (its
// lease, its etcd members' timing): written once by `tandem cluster init`, read by `tandem cluster join`, so a
// joining node takes the cluster's name and timing instead of guessing them.

import type { Etcd3 } from 'etcd3';
import { InputError } from '../model/errors.js';
import type { EtcdTiming } from './timing.js';

const registryPrefix = 'tandem/.clusters/';
const callLimitMs = 2_000;
const retryMs = 200;

export interface ClusterRecord {
  leaseTtlMs: number;
  /** Where tandem runs the etcd members (absent for clusters recorded before it was kept). */
  etcdTiming?: EtcdTiming;
}

const deadline = () => ({ deadline: new Date(Date.now() + callLimitMs) });

/** Records the cluster, retrying (a put of the same value is safe to repeat) while etcd is still starting. */
export async function registerCluster(client: Etcd3, name: string, record: ClusterRecord, limitMs: number): Promise<void> {
  const limit = Date.now() + limitMs;
  for (;;) {
    try {
      await client.put(`${registryPrefix}${name}`).value(JSON.stringify(record)).options(deadline()).exec();
      return;
    } catch (error) {
      if (Date.now() > limit) throw new Error(`could not record cluster ${name} in etcd within ${limitMs} ms: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}

/** The cluster to join: the one named, or the only one there is. */
export async function findCluster(client: Etcd3, wanted: string | undefined): Promise<{ name: string; record: ClusterRecord }> {
  const found = await client.getAll().prefix(registryPrefix).options(deadline()).exec();
  const clusters = found.kvs.map((entry) => ({ name: entry.key.toString().slice(registryPrefix.length), record: JSON.parse(entry.value.toString()) as ClusterRecord }));
  if (clusters.length === 0) throw new InputError('this etcd holds no tandem cluster: make one with tandem cluster init first');
  if (wanted !== undefined) {
    const named = clusters.find((cluster) => cluster.name === wanted);
    if (!named) throw new InputError(`this etcd holds no cluster named ${wanted}; it holds: ${clusters.map((cluster) => cluster.name).join(', ')}`);
    return named;
  }
  if (clusters.length > 1) throw new InputError(`this etcd holds several clusters (${clusters.map((cluster) => cluster.name).join(', ')}): choose one with --cluster`);
  return clusters[0]!;
}
