// Preloaded into a submitted job's driver (`--import`): when the node that started it dies without
// stopping it (SIGKILL, a crash), the job is re-parented; it notices within a second and ends its
// process group (itself and whatever it started), instead of running on unwatched.
const parent = process.ppid
const timer = setInterval(() => {
  if (process.ppid === parent) return
  clearInterval(timer)
  process.stderr.write('fabric: the node running this job is gone; stopping the job\n')
  try {
    process.kill(-process.pid, 'SIGTERM')
  } catch {
    process.exit(143)
  }
}, 1000)
timer.unref()
