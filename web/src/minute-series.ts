/** The last hour's minutes, oldest first, as seconds since the epoch, with the counts of each (0 where none). */
export function minuteSeries(
  perMinute: readonly { minute: string; documents: number; chunks: number }[],
  now = Date.now(),
): [number[], number[], number[]] {
  const last = Math.floor(now / 60_000) * 60;
  const byMinute = new Map(perMinute.map((m) => [Date.parse(`${m.minute}:00Z`) / 1000, m]));
  const times: number[] = [];
  const documents: number[] = [];
  const chunks: number[] = [];
  for (let t = last - 59 * 60; t <= last; t += 60) {
    times.push(t);
    documents.push(byMinute.get(t)?.documents ?? 0);
    chunks.push(byMinute.get(t)?.chunks ?? 0);
  }
  return [times, documents, chunks];
}
