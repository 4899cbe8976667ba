export * from './config.js';
export * from './status.js';
export * from './cib.js';
export * from './score.js';
export * from './duration.js';
export * from './errors.js';
