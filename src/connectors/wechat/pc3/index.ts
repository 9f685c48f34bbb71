export { openPc3Reader } from './reader.js';
