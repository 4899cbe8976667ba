// A new cluster's store starts from an empty CIB; the first node to reach etcd writes it
// (only if no CIB is there, so a cluster's configuration is never overwritten).

import { emptyCib } from '../model/cib.js';
import type { EtcdStore } from '../store/etcd.js';

export async function seedStore(store: EtcdStore): Promise<void> {
  await store.initialise(emptyCib());
}
