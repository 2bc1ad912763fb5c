/**
 * A wall clock for the UI (uptimes, "N s ago"): one local timer, aligned to
 * whole seconds. Not a poll: nothing is fetched.
 */
class Clock {
  now = $state(Date.now());

  constructor() {
    const tick = () => {
      this.now = Date.now();
      setTimeout(tick, 1000 - (this.now % 1000) + 5);
    };
    setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
  }
}

export const clock = new Clock();
