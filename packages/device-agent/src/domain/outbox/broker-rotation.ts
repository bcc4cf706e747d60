// Which broker a kiosk's next connection attempt goes to (config mqtt.urls, issue 14), pure: the
// list in order, starting at the first, one step on after each failed connect or lost connection,
// wrapping round. A plain rotation rather than "back to the first": the first node may be the one
// that died, and every node of the cluster serves the kiosk equally.

/** The index after `index` in a list of `count` brokers (wraps to 0). */
export function nextBrokerIndex(index: number, count: number): number {
  if (!(Number.isSafeInteger(count) && count >= 1)) throw new Error('assert: count >= 1');
  if (!(Number.isSafeInteger(index) && index >= 0 && index < count))
    throw new Error('assert: 0 <= index < count');
  const next = (index + 1) % count;
  return next;
}
