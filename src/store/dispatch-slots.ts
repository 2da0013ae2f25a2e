/**
 * How many of a tenant's waiting documents one dispatch may hand to the queue: `null` for all of them
 * (no limit), else the free slots of its share. With documents already in flight, nothing goes until at
 * least `minFree` slots are free, so a busy tenant refills its share a few at a time instead of one
 * document per finished one (each dispatch is a transaction and a queue round trip).
 */
export function dispatchSlots(maxInFlight: number, inFlight: number, minFree: number): number | null {
  if (maxInFlight === 0) {
    return null;
  }
  const free = maxInFlight - inFlight;
  return free <= 0 || (free < minFree && inFlight > 0) ? 0 : free;
}

/**
 * The order of a batch's documents for dispatch (SQL, both dialects): largest file first. A batch is
 * done when its last document is, and one large file started last runs alone while every other worker
 * has nothing left (measured in BENCH.md). Started first, it runs beside the rest. Equal sizes keep
 * their upload order.
 */
export const largestFirst = 'size_bytes DESC, id';
