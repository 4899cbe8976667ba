// The built-in agents (class `tandem`) as configuration checks see them: each one's meta-data
// and the check of its parameters that its validate-all makes, both pure, so a configuration
// naming one is checked at load as an OCF one is against its agent on disk.

import { checkParamsProblem, httpCheckMetadata, tcpCheckMetadata } from './checks.js';
import { processMetadata, processParamsProblem } from './process.js';
import { vipMetadata, vipParamsProblem } from './vip.js';

export interface BuiltinAgent {
  metadata: string;
  paramsProblem: (params: Record<string, string>) => string | undefined;
}

export const builtinAgents: Readonly<Record<string, BuiltinAgent>> = {
  process: { metadata: processMetadata, paramsProblem: processParamsProblem },
  vip: { metadata: vipMetadata, paramsProblem: vipParamsProblem },
  http: { metadata: httpCheckMetadata, paramsProblem: (params) => checkParamsProblem('http', params) },
  tcp: { metadata: tcpCheckMetadata, paramsProblem: (params) => checkParamsProblem('tcp', params) },
};
