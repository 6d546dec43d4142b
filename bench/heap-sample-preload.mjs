// Preloaded into a `fabric join` process by bench/profile-remote.ts (NODE_HEAP_SAMPLE=<dir>):
// the first SIGUSR2 starts V8's sampling heap profiler (collected objects included), the second
// writes what was allocated in between to <dir>/node-<pid>.heapprofile. Profiling only.
import fs from 'node:fs'
import { Session } from 'node:inspector'
import path from 'node:path'

const dir = process.env.NODE_HEAP_SAMPLE
if (dir !== undefined) {
  const session = new Session()
  session.connect()
  let sampling = false
  process.on('SIGUSR2', () => {
    if (!sampling) {
      session.post('HeapProfiler.startSampling', { samplingInterval: 8192, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
      sampling = true
      return
    }
    session.post('HeapProfiler.stopSampling', (err, r) => {
      if (err === null) fs.writeFileSync(path.join(dir, `node-${process.pid}.heapprofile`), JSON.stringify(r.profile))
    })
    sampling = false
  })
}
