// The order Pacemaker lists nodes in where that order decides something. A resource's
// allowed nodes live in a GLib hash table keyed by node id (hashed case-insensitively), so
// walking the table, or listing it, follows the table's buckets, an order fixed by the ids;
// sorting a list uses GLib's merge sort. The order matters because balanced placement
// compares node capacities attribute by attribute, which is not transitive: among nodes
// with neither more capacity than the other, the list order and the sort decide.

import type { SchedNode } from './types.js';

/** GLib's smallest table: 1 << 3 buckets. */
const minShift = 3;

/** The prime below each power of two that GLib takes a hash modulo (g_hash_table_set_shift). */
const primeBelowPowerOfTwo = [
  1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287, 1048573, 2097143, 4194301, 8388593, 16777213,
  33554393, 67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647,
];

const encoder = new TextEncoder();

/** Pacemaker's case-insensitive string hash: h = 31h + lower(c) over signed bytes, in 32 bits. */
function caseInsensitiveHash(key: string): number {
  let hash = 0;
  for (const byte of encoder.encode(key)) {
    const lower = byte >= 65 && byte <= 90 ? byte + 32 : byte;
    hash = (Math.imul(hash, 31) + (lower >= 128 ? lower - 256 : lower)) >>> 0;
  }
  // 0 and 1 mark empty and deleted buckets, so GLib stores such a hash as 2.
  return hash <= 1 ? 2 : hash;
}

/** Buckets of a GLib hash table that only ever had keys inserted (no removals, so no tombstones). */
class GLibTable {
  private shift = minShift;
  private hashes: number[] = new Array<number>(1 << minShift).fill(0);
  private keys: Array<string | undefined> = new Array<string | undefined>(1 << minShift).fill(undefined);
  private count = 0;

  private get mask(): number {
    return (1 << this.shift) - 1;
  }

  /** The first bucket a hash probes (g_hash_table_hash_to_index: the hash times 11, modulo a prime). */
  private home(hash: number): number {
    return (Math.imul(hash, 11) >>> 0) % primeBelowPowerOfTwo[this.shift]!;
  }

  insert(key: string): void {
    const hash = caseInsensitiveHash(key);
    let index = this.home(hash);
    let step = 0;
    while (this.hashes[index] !== 0) {
      if (this.hashes[index] === hash && this.keys[index]!.toLowerCase() === key.toLowerCase()) return;
      step += 1;
      index = (index + step) & this.mask;
    }
    this.hashes[index] = hash;
    this.keys[index] = key;
    this.count += 1;
    const size = 1 << this.shift;
    if (size <= this.count + Math.floor(this.count / 16)) this.grow();
  }

  /**
   * GLib's in-place resize (g_hash_table_resize): the table takes the size for 4/3 of its
   * entries, and each entry not yet moved is moved to its new bucket, evicting whatever
   * unmoved entry is there, which moves next.
   */
  private grow(): void {
    const oldSize = 1 << this.shift;
    let shift = 0;
    for (let n = Math.trunc(this.count * 1.333); n > 0; n >>= 1) shift += 1;
    this.shift = Math.max(shift, minShift);
    const size = 1 << this.shift;
    for (let index = oldSize; index < size; index += 1) {
      this.hashes[index] = 0;
      this.keys[index] = undefined;
    }
    const moved = new Array<boolean>(Math.max(size, oldSize)).fill(false);
    for (let index = 0; index < oldSize; index += 1) {
      let hash = this.hashes[index]!;
      if (hash === 0 || moved[index]) continue;
      let key = this.keys[index];
      this.hashes[index] = 0;
      this.keys[index] = undefined;
      for (;;) {
        let target = this.home(hash);
        let step = 0;
        while (moved[target]) {
          step += 1;
          target = (target + step) & this.mask;
        }
        moved[target] = true;
        const evictedHash = this.hashes[target]!;
        const evictedKey = this.keys[target];
        this.hashes[target] = hash;
        this.keys[target] = key;
        if (evictedHash === 0) break;
        hash = evictedHash;
        key = evictedKey;
      }
    }
  }

  /** The keys bucket by bucket, as g_hash_table_iter walks them. */
  walk(): string[] {
    return this.keys.filter((key): key is string => key !== undefined);
  }
}

/** Node ids in the order a GLib table they were inserted into (in the given order) walks them. */
export function tableWalkOrder(ids: string[]): string[] {
  const table = new GLibTable();
  for (const id of ids) table.insert(id);
  return table.walk();
}

/**
 * Nodes in the order Pacemaker walks a node table holding all of them (it fills one from
 * its node list, which is sorted by name). g_hash_table_get_values lists them the other way
 * round.
 */
export function nodeTableOrder(nodes: SchedNode[]): SchedNode[] {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const sortedByName = [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return tableWalkOrder(sortedByName.map((node) => node.id)).map((id) => byId.get(id)!);
}

/**
 * Sorts in place as GLib's g_list_sort does: a top-down merge sort whose first half is the
 * shorter one, keeping the left element on a tie. With a comparison that is not a strict
 * order, this exact procedure is what decides the result.
 */
export function glibListSort<T>(items: T[], compare: (a: T, b: T) => number): T[] {
  mergeSortRange(items, new Array<T>(items.length), 0, items.length, compare);
  return items;
}

function mergeSortRange<T>(items: T[], scratch: T[], start: number, end: number, compare: (a: T, b: T) => number): void {
  if (end - start < 2) return;
  const middle = start + Math.floor((end - start) / 2);
  mergeSortRange(items, scratch, start, middle, compare);
  mergeSortRange(items, scratch, middle, end, compare);
  let left = start;
  let right = middle;
  let out = start;
  while (left < middle && right < end) scratch[out++] = compare(items[left]!, items[right]!) <= 0 ? items[left++]! : items[right++]!;
  while (left < middle) scratch[out++] = items[left++]!;
  while (right < end) scratch[out++] = items[right++]!;
  for (let index = start; index < end; index += 1) items[index] = scratch[index]!;
}
