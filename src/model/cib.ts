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

/** Pacemaker's attribute of a saved scheduler input: when the decision was made (seconds since the epoch). */
export const executionDateAttribute = 'execution-date';

/** The time a saved input was decided at, if it says. */
export function executionDateS(cib: Cib): number | undefined {
  const value = Number(cib.attributes[executionDateAttribute]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

export function emptyCib(): Cib {
  return {
    configuration: emptyConfiguration(),
    status: emptyStatus(),
    haveQuorum: true,
    attributes: { 'validate-with': 'pacemaker-3.9', crm_feature_set: '3.16.1', epoch: '1', num_updates: '0', admin_epoch: '0' },
  };
}

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const twoDigits = (value: number) => String(value).padStart(2, '0');

/** A time as Pacemaker writes cib-last-written (C's asctime, local time): "Wed Nov 25 18:30:00 2026". */
export function asctime(atMs: number): string {
  const at = new Date(atMs);
  const clock = `${twoDigits(at.getHours())}:${twoDigits(at.getMinutes())}:${twoDigits(at.getSeconds())}`;
  return `${weekdays[at.getDay()]} ${months[at.getMonth()]} ${String(at.getDate()).padStart(2, ' ')} ${clock} ${at.getFullYear()}`;
}

/** The <cib> attributes Pacemaker stamps on a change of the configuration: when, on which node, by what. */
export function lastChangeAttributes(atMs: number, origin: string, client: string): Record<string, string> {
  return { 'cib-last-written': asctime(atMs), 'update-origin': origin, 'update-client': client };
}
