// Peak resident memory while some work runs, sampled every 10 ms.

/** Run `work`, sampling RSS; returns its result and RSS before and at its peak, in MiB. */
export async function peakRss<T> (work: () => Promise<T>): Promise<{ result: T, before: number, peak: number }> {
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 10)
  try {
    const result = await work()
    peak = Math.max(peak, process.memoryUsage().rss)
    return { result, before: before / 2 ** 20, peak: peak / 2 ** 20 }
  } finally {
    clearInterval(timer)
  }
}
