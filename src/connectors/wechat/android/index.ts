export { openAndroidReader } from './reader.js';
