/** The only source of "now" for services, so tests can fix time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
