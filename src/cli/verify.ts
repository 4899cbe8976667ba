// `tandem configure verify` runs each OCF agent's own validate-all on its resource's
// parameters, as crmsh can: a failure is a warning naming the resource (the agent may check
// what only the node that runs it has, so it does not make the configuration invalid).

import { definitionPosition, primitivesIn } from '../agents/config-check.js';
import { validateResource, type DescribeAgent } from '../agents/ocf-metadata.js';
import type { Configuration } from '../model/config.js';
import type { InputWarning } from '../model/errors.js';

export function validateAllWarnings(configuration: Configuration, text: string, file: string, describe: DescribeAgent): InputWarning[] {
  return primitivesIn(configuration.resources).flatMap((primitive) => {
    if (primitive.agent.class !== 'ocf') return [];
    const lookup = describe(primitive.agent);
    if (!lookup.installed || !lookup.description?.actions.some((action) => action.name === 'validate-all')) return [];
    const failure = validateResource(primitive);
    return failure === undefined ? [] : [{ message: `primitive ${primitive.id}: validate-all failed: ${failure}`, position: definitionPosition(text, file, primitive.id) }];
  });
}
