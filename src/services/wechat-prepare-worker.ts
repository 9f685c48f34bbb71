import { parentPort, workerData } from 'node:worker_threads';
import { runPrepareWorker, type PrepareWorkerData } from './wechat-prepare.js';

/** Worker thread of a large personal WeChat import: reads the export and prepares its rows (services/wechat-prepare.ts). */
if (parentPort) await runPrepareWorker(workerData as PrepareWorkerData, parentPort);
