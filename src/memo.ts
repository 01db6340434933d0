// One promise per key: the first caller starts the work, later callers wait for the
// same answer. A rejected promise stays in the map too (a failure is an answer for
// the rest of the run: asking again would repeat a timeout, not fix it).

export function once<K, V>(memo: Map<K, Promise<V>>, key: K, work: () => Promise<V>): Promise<V> {
  let pending = memo.get(key);
  if (pending === undefined) {
    pending = work();
    memo.set(key, pending);
  }
  return pending;
}
