export { readCorosync, sectionsNamed, type CorosyncSection, type CorosyncValue } from './read.js';
