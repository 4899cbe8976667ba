export { readCrm, type CrmReadResult } from './read.js';
export { writeCrm } from './write.js';
