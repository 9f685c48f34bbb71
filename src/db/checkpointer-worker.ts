import { parentPort, workerData } from 'node:worker_threads';
import { runCheckpointer, type CheckpointerData } from './checkpointer.js';

/** Worker thread of a background WAL checkpointer (db/checkpointer.ts). */
if (parentPort) runCheckpointer(workerData as CheckpointerData, parentPort);
