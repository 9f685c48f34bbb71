import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Scheduler } from './scheduler.js';

const quiet = pino({ level: 'silent' });
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Scheduler', () => {
  it('runs a job at its interval, never twice at once, and again at once when triggered during a run', async () => {
    const s = new Scheduler(quiet);
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    s.add({
      name: 'slow', intervalMs: 60_000,
      run: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs++;
        await wait(60);
        running--;
      },
    });
    expect(s.trigger('slow')).toBe(true);
    await wait(10);
    s.trigger('slow');
    s.trigger('slow');
    await wait(200);
    expect(runs).toBe(2); // the triggers during the run collapse into one more run
    expect(maxRunning).toBe(1);
    expect(s.trigger('unknown')).toBe(false);
    await s.stop();
    expect(s.trigger('slow')).toBe(false);
  });

  it('keeps going after a failing run', async () => {
    const s = new Scheduler(quiet);
    let runs = 0;
    s.add({
      name: 'flaky', intervalMs: 20,
      run: async () => {
        runs++;
        if (runs === 1) throw Object.assign(new Error('first run fails'), { code: 'boom' });
      },
    });
    s.trigger('flaky');
    await wait(300);
    await s.stop();
    expect(runs).toBeGreaterThan(3);
  });
});
