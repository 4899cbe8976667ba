// Runs any agent tandem knows: OCF agents from disk, and the built-in ones (class tandem).

import { OcfRc } from '../model/status.js';
import { runOcfAgent, type AgentCall, type AgentResult, type CallJournal } from './ocf.js';
import { CheckAgents } from './checks.js';
import { ProcessAgent } from './process.js';
import { runVipAgent } from './vip.js';
import { StonithResources } from './stonith.js';

export type { AgentCall, AgentResult, CallJournal, JournalEntry } from './ocf.js';

export interface AgentRunnerOptions {
  runDir: string;
  /** A supervised process exited on its own: called at once with its instance. */
  onUnexpectedExit: (instance: string) => void;
  ocfRoot?: string;
  /** Extra environment for OCF agents (e.g. HA_SBIN_DIR pointing at tandem's tool shims). */
  environment?: Record<string, string>;
  /** Keeps OCF agent calls in flight, for a daemon restarted after a crash. */
  journal?: CallJournal;
}

export function createAgentRunner(options: AgentRunnerOptions): (call: AgentCall) => Promise<AgentResult> {
  const processes = new ProcessAgent(options.runDir, options.onUnexpectedExit, options.environment);
  const checks = new CheckAgents(options.runDir);
  const stonith = new StonithResources();
  return async (call) => {
    if (call.agent.class === 'ocf') return runOcfAgent({ ...call, ...(options.ocfRoot ? { ocfRoot: options.ocfRoot } : {}), environment: { ...options.environment, ...call.environment } }, options.journal);
    if (call.agent.class === 'tandem' && call.agent.type === 'process') return processes.run(call);
    if (call.agent.class === 'stonith') return stonith.run(call);
    if (call.agent.class === 'tandem' && call.agent.type === 'vip') return runVipAgent(call);
    if (call.agent.class === 'tandem' && (call.agent.type === 'http' || call.agent.type === 'tcp')) return checks.run(call);
    return { rc: OcfRc.errInstalled, timedOut: false, notInstalled: true, durationMs: 0, output: `agent class ${call.agent.class}:${call.agent.type} is not supported` };
  };
}
