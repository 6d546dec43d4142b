// Guest log lines on an embedded fabric: the `log` option hears each line with the function, task
// and job that wrote it (the ids `list('tasks')` shows); without it, lines are printed with the
// prefix a connected driver prints, warn and error on stderr. And `list()`: the node's state rows.
import assert from 'node:assert/strict'
import { Fabric, type GuestModule } from '../../src/index.js'
import type { LogSource } from '../../src/runtime/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

type Kitchen = GuestModule<typeof import('../fixtures/guests/ts/kitchen.js')>

describe('api: guest log lines and state rows of an embedded fabric', function () {
  this.timeout(120_000)
  let cache: ReturnType<typeof tempDir>
  let kitchen: string

  before(async () => {
    cache = tempDir()
    kitchen = await fixtureComponent('guests/ts/kitchen.ts')
  })

  after(() => cache?.remove())

  it('log hears each line with its function, task and job; list(\'tasks\') names the same task', async () => {
    const heard: Array<{ level: string, message: string, source: LogSource }> = []
    const fabric = await Fabric.start({ address: 'local', workers: 1, cacheDir: cache.dir, log: (level, message, source) => { heard.push({ level, message, source }) } })
    try {
      const m = await fabric.load<Kitchen>(kitchen)
      assert.equal(await fabric.get(m.shout.remote('hi')), 'HI')
      assert.equal(heard.length, 1)
      const { level, message, source } = heard[0]!
      assert.deepEqual([level, message, source.name, source.job], ['info', 'shouting hi', 'shout', fabric.jobId])
      const row = fabric.embedded!.list('tasks').find(r => r.name === 'shout')
      assert.equal(row?.id, source.task)
      assert.equal(row?.state, 'finished')
      assert.equal(row?.job, fabric.jobId)
      const jobs = fabric.embedded!.list('jobs')
      assert.equal(jobs.find(r => r.job === fabric.jobId)?.finished, 1)
    } finally {
      await fabric.stop()
    }
  })

  it('without log, a line is printed with its prefix: (shout task=...) message', async () => {
    const fabric = await Fabric.start({ address: 'local', workers: 1, cacheDir: cache.dir })
    const printed: string[] = []
    const write = process.stdout.write.bind(process.stdout)
    try {
      const m = await fabric.load<Kitchen>(kitchen)
      process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        if (String(chunk).includes('shouting')) { printed.push(String(chunk)); return true }
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest)
      }) as typeof process.stdout.write
      assert.equal(await fabric.get(m.shout.remote('there')), 'THERE')
    } finally {
      process.stdout.write = write
      await fabric.stop()
    }
    assert.equal(printed.length, 1)
    assert.match(printed[0]!, /^\(shout task=\S+\) shouting there\n$/)
  })

  it('taskHistory: 0 keeps no finished task; the default keeps them', async () => {
    const fabric = await Fabric.start({ address: 'local', workers: 1, cacheDir: cache.dir, log: () => {}, taskHistory: 0 })
    try {
      const m = await fabric.load<Kitchen>(kitchen)
      assert.equal(await fabric.get(m.add.remote(1, 2)), 3)
      assert.deepEqual(fabric.embedded!.list('tasks'), [])
    } finally {
      await fabric.stop()
    }
  })
})
