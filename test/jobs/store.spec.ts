// The node's job store: status written through to disk, output rotated under its cap, finished
// jobs and unreferenced components forgotten beyond the limit, running ones failed after a restart.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { JobStore, newSubmissionId, type JobInfo } from '../../src/jobs/index.js'
import { tempDir } from '../helpers/fixtures.js'

const info = (id: string, at: number): JobInfo => ({ id, state: 'pending', driver: 'main.ts', args: [], submitter: 'p', submittedAt: at, files: 1, bytes: 1, sentBytes: 1 })

describe('jobs store', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => { tmp = tempDir('fabric-jobs-store-') })
  afterEach(() => { tmp.remove() })

  it('keeps a job\'s status in status.json and lists newest first', () => {
    const store = new JobStore(tmp.dir, { maxFinished: 10, maxOutputBytes: 1000 })
    store.load()
    const a = newSubmissionId()
    const b = newSubmissionId()
    assert.match(a, /^job-submit-[0-9a-f]{16}$/)
    store.create(info(a, 1))
    store.create(info(b, 2))
    store.update(a, { state: 'running', startedAt: 5 })
    assert.deepEqual(store.list().map(j => j.id), [b, a])
    assert.equal(JSON.parse(fs.readFileSync(path.join(store.dir(a), 'status.json'), 'utf8')).state, 'running')
    assert.equal(store.running(), 2)
    store.stop()
  })

  it('marks jobs that were running when the node stopped as failed on the next load', () => {
    const first = new JobStore(tmp.dir, { maxFinished: 10, maxOutputBytes: 1000 })
    first.load()
    const id = newSubmissionId()
    first.create(info(id, 1))
    first.update(id, { state: 'running' })
    first.stop()
    const second = new JobStore(tmp.dir, { maxFinished: 10, maxOutputBytes: 1000 })
    second.load()
    const job = second.get(id)!
    assert.equal(job.state, 'failed')
    assert.match(job.message!, /node stopped/)
  })

  it('rotates output at half the cap, so at most the cap is kept, the newest last', () => {
    const store = new JobStore(tmp.dir, { maxFinished: 10, maxOutputBytes: 100 })
    store.load()
    const id = newSubmissionId()
    store.create(info(id, 1))
    for (let i = 0; i < 10; i++) store.appendOutput(id, Buffer.from(`line ${i} ${'x'.repeat(12)}\n`))
    const kept = store.readOutput(id).toString()
    assert.ok(kept.length <= 100, `${kept.length} bytes kept`)
    assert.ok(kept.endsWith(`line 9 ${'x'.repeat(12)}\n`))
    assert.ok(!kept.includes('line 0 '))
    store.update(id, { state: 'succeeded', exitCode: 0 })
  })

  it('forgets the oldest finished jobs beyond the limit, and components no job links to', () => {
    const store = new JobStore(tmp.dir, { maxFinished: 2, maxOutputBytes: 100 })
    store.load()
    const cid = 'bafkreifmgpstaggmfu3hmlb3pjzg6hzv4gmkr2qf2ksnvapbze2rutpbna'
    const ids = [1, 2, 3].map(at => {
      const id = newSubmissionId()
      store.create(info(id, at))
      return id
    })
    fs.writeFileSync(path.join(store.components, cid), 'wasm')
    store.linkComponent(cid, path.join(store.filesDir(ids[0]!), 'k.wasm'))
    assert.ok(store.hasComponent(cid) && store.hasComponent(cid, 4))
    assert.ok(!store.hasComponent(cid, 5), 'a stored copy of another size (changed in place) is not taken')
    for (const id of ids) store.update(id, { state: 'succeeded', exitCode: 0 })
    assert.deepEqual(store.list().map(j => j.id), [ids[2], ids[1]])
    assert.ok(!fs.existsSync(store.dir(ids[0]!)))
    assert.ok(!store.hasComponent(cid), 'the component only the forgotten job used is dropped')
  })
})
