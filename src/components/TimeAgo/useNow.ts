import { useEffect, useState } from 'react';

// One timer per interval for every component that shows the time: a list of 50 countdowns re-renders once a second,
// in one batch, not 50 times.
const clocks = new Map<number, { timer: ReturnType<typeof setInterval>; listeners: Set<(now: number) => void> }>();

function subscribe(intervalMs: number, listener: (now: number) => void): () => void {
  let clock = clocks.get(intervalMs);
  if (!clock) {
    const listeners = new Set<(now: number) => void>();
    const timer = setInterval(() => {
      const now = Date.now();
      listeners.forEach((l) => l(now));
    }, intervalMs);
    clock = { timer, listeners };
    clocks.set(intervalMs, clock);
  }
  clock.listeners.add(listener);
  const current = clock;
  return () => {
    current.listeners.delete(listener);
    if (current.listeners.size === 0) {
      clearInterval(current.timer);
      clocks.delete(intervalMs);
    }
  };
}

// useNow returns the current time, updated every intervalMs, for live countdowns and relative times.
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => subscribe(intervalMs, setNow), [intervalMs]);
  return now;
}
