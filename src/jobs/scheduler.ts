import type { Log } from '../log.js';

/**
 * A small in-process scheduler for the background work of `wekeep serve` / `wekeep work`: each job
 * runs at its interval, never twice at once, and can be triggered early (a WeCom callback asks for
 * a sync now). Jobs are idempotent (a sync resumes from its durable cursor; a rescan only touches
 * pending blobs), so a missed or doubled run is harmless. Failures are logged content-free and the
 * job runs again at its next interval.
 */

export interface Job {
  name: string;
  intervalMs: number;
  run(): Promise<void>;
}

interface Slot {
  job: Job;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  again: boolean;
}

export class Scheduler {
  private readonly slots = new Map<string, Slot>();
  private stopped = false;

  constructor(private readonly log: Log) {}

  add(job: Job): void {
    this.slots.set(job.name, { job, timer: undefined, running: undefined, again: false });
  }

  has(name: string): boolean {
    return this.slots.has(name);
  }

  start(): void {
    for (const slot of this.slots.values()) this.schedule(slot, Math.min(slot.job.intervalMs, 5_000));
  }

  /** Runs a job as soon as possible (after the current run, if one is in progress). */
  trigger(name: string): boolean {
    const slot = this.slots.get(name);
    if (!slot || this.stopped) return false;
    if (slot.running) slot.again = true;
    else this.schedule(slot, 0);
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const slot of this.slots.values()) clearTimeout(slot.timer);
    await Promise.allSettled([...this.slots.values()].map((s) => s.running));
  }

  private schedule(slot: Slot, delayMs: number): void {
    clearTimeout(slot.timer);
    if (this.stopped) return;
    slot.timer = setTimeout(() => void this.runNow(slot), delayMs);
    slot.timer.unref();
  }

  private async runNow(slot: Slot): Promise<void> {
    if (slot.running || this.stopped) return;
    const started = Date.now();
    slot.running = slot.job.run().then(
      () => this.log.info({ job: slot.job.name, ms: Date.now() - started }, 'job finished'),
      (e: unknown) => this.log.warn({ job: slot.job.name, ms: Date.now() - started, code: (e as { code?: unknown })?.code ?? 'unexpected' }, 'job failed'),
    );
    await slot.running;
    slot.running = undefined;
    const again = slot.again;
    slot.again = false;
    this.schedule(slot, again ? 0 : slot.job.intervalMs);
  }
}
