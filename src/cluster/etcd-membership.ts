// Changes to etcd's own membership as a node joins or leaves: a joining member is added
// as a learner (it does not count towards quorum, so a member that fails to start cannot
// cost the cluster its majority) and promoted once it has caught up; a leaving member is
// removed. Every call has a deadline; an add that timed out is found again by its peer
// URL rather than repeated.

import type { Etcd3 } from 'etcd3';
import { InputError } from '../model/errors.js';

const callLimitMs = 3_000;
const promoteLimitMs = 60_000;
const promotePollMs = 200;

const deadline = () => ({ deadline: new Date(Date.now() + callLimitMs) });

export interface EtcdMemberEntry {
  id: string;
  name: string;
  peerUrls: string[];
  isLearner: boolean;
}

export async function listEtcdMembers(client: Etcd3): Promise<EtcdMemberEntry[]> {
  const { members } = await client.cluster.memberList({}, deadline());
  return members.map((member) => ({ id: member.ID, name: member.name, peerUrls: member.peerURLs, isLearner: Boolean(member.isLearner) }));
}

/** etcd's --initial-cluster for a new member: every member by name (the new one by its own), an unstarted one by its URL alone. */
export function initialClusterFor(members: EtcdMemberEntry[], newMemberId: string, newName: string): string {
  return members.flatMap((member) => member.peerUrls.map((url) => `${member.id === newMemberId ? newName : member.name}=${url}`)).join(',');
}

/** How long a membership change may wait for etcd to be healthy enough to take it. */
const changeLimitMs = 30_000;
const changeRetryMs = 500;

/**
 * Adds this node's member as a learner; returns --initial-cluster. etcd refuses changes
 * while it is unhealthy (a member just added or promoted still settling): each attempt
 * first looks for the member by its peer URL, so trying again never adds it twice.
 */
export async function addLearner(client: Etcd3, name: string, peerUrl: string): Promise<string> {
  const limit = Date.now() + changeLimitMs;
  for (;;) {
    try {
      return await addLearnerOnce(client, name, peerUrl);
    } catch (error) {
      if (error instanceof InputError) throw error;
      if (Date.now() > limit) throw new InputError(`etcd did not take ${name}'s member within ${changeLimitMs / 1000} s: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, changeRetryMs));
    }
  }
}

/** One attempt: the member added, or found from an earlier attempt that did not finish. */
async function addLearnerOnce(client: Etcd3, name: string, peerUrl: string): Promise<string> {
  const members = await listEtcdMembers(client);
  const sameName = members.find((member) => member.name === name);
  if (sameName && !sameName.peerUrls.includes(peerUrl)) throw new InputError(`etcd already has a member named ${name} (at ${sameName.peerUrls.join(', ')}): choose another --name, or make that node leave first`);
  if (sameName) throw new InputError(`${name} is already a member of this cluster; on that node run: tandem cluster start`);
  const earlier = members.find((member) => member.peerUrls.includes(peerUrl));
  if (earlier?.name) throw new InputError(`${peerUrl} is already the etcd member ${earlier.name}`);
  if (earlier) return initialClusterFor(members, earlier.id, name);
  const added = await client.cluster.memberAdd({ peerURLs: [peerUrl], isLearner: true }, deadline());
  const entries = added.members.map((member) => ({ id: member.ID, name: member.name, peerUrls: member.peerURLs, isLearner: Boolean(member.isLearner) }));
  return initialClusterFor(entries, added.member.ID, name);
}

/** Promotes the learner at `peerUrl` to a voting member once it has caught up with the leader. */
export async function promoteWhenCaughtUp(client: Etcd3, peerUrl: string): Promise<void> {
  const limit = Date.now() + promoteLimitMs;
  let lastError = 'not tried';
  while (Date.now() < limit) {
    const member = (await listEtcdMembers(client).catch(() => [])).find((candidate) => candidate.peerUrls.includes(peerUrl));
    if (member && !member.isLearner) return;
    if (member) {
      try {
        await client.cluster.memberPromote({ ID: member.id }, deadline());
        return;
      } catch (error) {
        // "can only promote a learner member which is in sync with leader": not yet.
        lastError = (error as Error).message;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, promotePollMs));
  }
  throw new Error(`the new etcd member did not catch up within ${promoteLimitMs} ms: ${lastError}`);
}

/**
 * Removes the member named `name`, trying again while etcd refuses changes as unhealthy
 * (a member that came back moments ago); refuses to remove the last voting member.
 */
export async function removeMember(client: Etcd3, name: string): Promise<void> {
  const limit = Date.now() + changeLimitMs;
  for (;;) {
    try {
      const members = await listEtcdMembers(client);
      const member = members.find((candidate) => candidate.name === name);
      if (!member) return;
      if (members.filter((candidate) => !candidate.isLearner).length <= 1 && !member.isLearner) {
        throw new InputError(`${name} holds the last etcd member of the cluster: stop it instead (tandem cluster leave is for leaving others behind)`);
      }
      await client.cluster.memberRemove({ ID: member.id }, deadline());
      return;
    } catch (error) {
      if (error instanceof InputError) throw error;
      if (Date.now() > limit) throw new InputError(`etcd did not remove ${name}'s member within ${changeLimitMs / 1000} s: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, changeRetryMs));
    }
  }
}
