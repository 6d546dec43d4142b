import assert from 'node:assert/strict'
import { deserializeError, serializeError } from '../../src/errors/index.js'
import { TranspileLimitError, cidOfBytesSync, createTranspiler, loadComponent, validateComponent } from '../../src/component/index.js'
import { writeCacheEntry } from '../../src/component/transpile-cache.js'
import { guestComponent, tempDir } from './fixtures.js'

const OPTIONS = { name: 'component', instantiation: { tag: 'sync' }, wasiShim: false }

async function rejectsWithLimit (p: Promise<unknown>, limit: TranspileLimitError['limit'], ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof TranspileLimitError, String(err))
    assert.equal(err.limit, limit, err.message)
    for (const re of patterns) assert.match(err.message, re)
    return true
  })
}

describe('component transpiler limits', function () {
  this.timeout(120_000)

  it('terminates a transpile that runs past its time limit, with an error that names the limit', async () => {
    const transpiler = createTranspiler({ timeoutMs: 50 })
    try {
      const bytes = await guestComponent()
      const t = performance.now()
      await rejectsWithLimit(transpiler.transpile(bytes, OPTIONS), 'timeout', /time limit of 50 ms/, /thread was terminated/, /timeoutMs/)
      assert.ok(performance.now() - t < 5_000, 'failed at the limit, not when jco finished')
      assert.deepEqual(transpiler.stats(), { threads: 0, running: 0, queued: 0, killed: 1 })
    } finally {
      await transpiler.stop()
    }
  })

  it('terminates a transpile that runs out of its heap, with an error that names the limit', async () => {
    // jco-transpile needs ~16 MiB of heap for this guest (8 is too little, most times): 4 never suffices.
    const transpiler = createTranspiler({ heapMb: 4 })
    try {
      await rejectsWithLimit(transpiler.transpile(await guestComponent(), OPTIONS), 'heap', /heap limit of 4 MiB/, /heapMb/)
      assert.equal(transpiler.stats().threads, 0)
    } finally {
      await transpiler.stop()
    }
  })

  it('runs at most `concurrency` at once and refuses more than `maxQueued` waiting', async () => {
    const transpiler = createTranspiler({ concurrency: 1, maxQueued: 1 })
    try {
      const bytes = await guestComponent()
      const first = transpiler.transpile(bytes, OPTIONS)
      const second = transpiler.transpile(bytes, OPTIONS)
      assert.deepEqual({ ...transpiler.stats(), killed: 0 }, { threads: 1, running: 1, queued: 1, killed: 0 })
      await rejectsWithLimit(transpiler.transpile(bytes, OPTIONS), 'queue', /1 components are already waiting/)
      const [a, b] = await Promise.all([first, second])
      assert.ok(a['component.js'] !== undefined && b['component.js'] !== undefined)
      assert.equal(transpiler.stats().threads, 1, 'one thread did both')
    } finally {
      await transpiler.stop()
    }
    assert.equal(transpiler.stats().threads, 0)
  })

  it('reaches loadComponent: a load fails with the limit, and the limit crosses the wire', async () => {
    const { dir, cleanup } = await tempDir()
    const transpiler = createTranspiler({ timeoutMs: 50 })
    try {
      await rejectsWithLimit(loadComponent(await guestComponent(), { cacheDir: dir, transpiler }), 'timeout')
      const bytes = await guestComponent()
      await rejectsWithLimit(writeCacheEntry(dir, cidOfBytesSync(bytes), bytes, await validateComponent(bytes), { transpiler }), 'timeout')
      const back = deserializeError(serializeError(new TranspileLimitError('slow', { limit: 'timeout' })))
      assert.ok(back instanceof TranspileLimitError)
      assert.equal(back.limit, 'timeout')
    } finally {
      await transpiler.stop()
      await cleanup()
    }
  })

  it('gives an idle thread back after idleMs', async () => {
    const transpiler = createTranspiler({ idleMs: 100 })
    try {
      await transpiler.transpile(await guestComponent(), OPTIONS)
      assert.equal(transpiler.stats().threads, 1)
      await new Promise((resolve) => setTimeout(resolve, 400))
      assert.equal(transpiler.stats().threads, 0)
    } finally {
      await transpiler.stop()
    }
  })
})
