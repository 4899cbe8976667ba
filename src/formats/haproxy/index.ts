export type * from './model.js';
export { httpCheckOf, supportedBalance, supportedOptions, timeoutNames } from './model.js';
export { readHaproxy, type HaproxyReadResult } from './read.js';
export { writeHaproxy } from './write.js';
