export { readCib } from './read.js';
export { writeCib } from './write.js';
