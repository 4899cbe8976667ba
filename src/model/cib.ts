// A whole CIB: configuration plus status plus the cib element's own attributes.

import { emptyConfiguration, type Configuration } from './config.js';
import { emptyStatus, type Status } from './status.js';

export interface Cib {
  configuration: Configuration;
  status: Status;
  /** Whether the partition has quorum (cib have-quorum). */
  haveQuorum: boolean;
  /** Other attributes of <cib> (epoch, num_updates, admin_epoch, validate-with, dc-uuid ...). */
  attributes: Record<string, string>;
}

export function emptyCib(): Cib {
  return {
    configuration: emptyConfiguration(),
    status: emptyStatus(),
    haveQuorum: true,
    attributes: { 'validate-with': 'pacemaker-3.9', crm_feature_set: '3.16.1', epoch: '1', num_updates: '0', admin_epoch: '0' },
  };
}
