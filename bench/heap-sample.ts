// V8's sampling heap profiler over one stretch of a profile script (issue 18), collected objects
// included: what a stretch allocates, not only what survives it. HEAP_SAMPLE=<file> turns it on.
import fs from 'node:fs'
import { Session } from 'node:inspector'

export interface HeapSample { stop: () => Promise<void> }

/** Starts sampling when HEAP_SAMPLE names a file; `stop` writes the .heapprofile there. */
export async function startHeapSample (file = process.env.HEAP_SAMPLE, samplingInterval = 8192): Promise<HeapSample> {
  if (file === undefined) return { stop: async () => {} }
  const session = new Session()
  const post = async (method: string, params?: object): Promise<unknown> => await new Promise((resolve, reject) => {
    session.post(method, params, (err, r) => { if (err !== null) reject(err); else resolve(r) })
  })
  session.connect()
  await post('HeapProfiler.startSampling', { samplingInterval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  return {
    stop: async () => {
      const { profile } = await post('HeapProfiler.stopSampling') as { profile: unknown }
      fs.writeFileSync(file, JSON.stringify(profile))
      session.disconnect()
    }
  }
}
