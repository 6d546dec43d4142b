// The node's log book: lines stamped and kept in memory and on disk, rotated by size with a bounded
// number of files, followed live, and queried (from memory while it has them, from the files after).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LogBook, logPrefix, MAX_LOG_MESSAGE_CHARS, type LogLine } from '../../src/runtime/node-logs.js'

describe('runtime: LogBook (guest log lines of a node)', () => {
  let dir: string
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-logs-')) })
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }) })

  it('stamps lines with seq, time and node; filters by job, task, actor or any of them', async () => {
    const book = new LogBook({ node: 'peer-a' })
    book.append({ level: 'info', job: 'job-1', task: 't1', name: 'add', message: 'one' })
    book.append({ level: 'warn', job: 'job-1', task: 't2', actor: 'a1', name: 'Counter.incr', message: 'two' })
    book.append({ level: 'info', job: 'job-2', task: 't3', name: 'add', message: 'three' })
    const all = await book.query({}, 10)
    assert.deepEqual(all.lines.map(l => [l.seq, l.node, l.message]), [[1, 'peer-a', 'one'], [2, 'peer-a', 'two'], [3, 'peer-a', 'three']])
    assert.ok(all.lines.every(l => typeof l.time === 'number' && l.time > 0))
    assert.deepEqual((await book.query({ job: 'job-1' }, 10)).lines.map(l => l.message), ['one', 'two'])
    assert.deepEqual((await book.query({ actor: 'a1' }, 10)).lines.map(l => l.message), ['two'])
    assert.deepEqual((await book.query({ of: 't3' }, 10)).lines.map(l => l.message), ['three'])
    assert.deepEqual((await book.query({ of: 'job-2' }, 10)).lines.map(l => l.message), ['three'])
    const tail = await book.query({}, 2)
    assert.deepEqual([tail.lines.map(l => l.message), tail.truncated], [['two', 'three'], true])
    book.close()
  })

  it('cuts a line longer than the limit and says so', async () => {
    const book = new LogBook({})
    const line = book.append({ level: 'info', name: 'f', message: 'x'.repeat(MAX_LOG_MESSAGE_CHARS + 10) })
    assert.ok(line.message.startsWith('x'.repeat(MAX_LOG_MESSAGE_CHARS)))
    assert.match(line.message, /\.\.\. \(10 more chars cut\)$/)
    book.close()
  })

  it('tells followers of matching lines until they unsubscribe; a throwing follower harms no one', () => {
    const book = new LogBook({})
    const seen: string[] = []
    book.follow({}, () => { throw new Error('bad follower') })
    const stop = book.follow({ job: 'j' }, l => { seen.push(l.message) })
    book.append({ level: 'info', job: 'j', name: 'f', message: 'a' })
    book.append({ level: 'info', job: 'k', name: 'f', message: 'b' })
    stop()
    book.append({ level: 'info', job: 'j', name: 'f', message: 'c' })
    assert.deepEqual(seen, ['a'])
    book.close()
  })

  it('writes JSON lines, rotates past maxFileBytes keeping maxFiles, and answers from the files once memory has dropped lines', async () => {
    const book = new LogBook({ node: 'p', dir, maxFileBytes: 8192, maxFiles: 2, memoryLines: 10 })
    for (let i = 0; i < 200; i++) book.append({ level: 'info', job: i % 2 === 0 ? 'even' : 'odd', name: 'f', message: `line ${i} ${'y'.repeat(100)}` })
    const files = fs.readdirSync(dir).sort()
    assert.deepEqual(files, ['guest.log', 'guest.log.1', 'guest.log.2'])
    for (const f of files) assert.ok(fs.statSync(path.join(dir, f)).size <= 8192, `${f} within the limit`)
    // Memory holds 10 lines; 30 of the job are asked for: read from the files (what they still hold).
    const even = await book.query({ job: 'even' }, 30)
    assert.equal(even.lines.length, 30)
    assert.ok(even.lines.every(l => l.job === 'even'))
    assert.equal(even.lines.at(-1)!.message.split(' ')[1], '198')
    const seqs = even.lines.map(l => l.seq)
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'oldest first')
    book.close()
  })

  it('a node restarted on the same folder still answers for the lines of its earlier run', async () => {
    const first = new LogBook({ node: 'p', dir })
    first.append({ level: 'info', task: 'old', name: 'f', message: 'before the restart' })
    first.close()
    const second = new LogBook({ node: 'p', dir })
    second.append({ level: 'info', task: 'new', name: 'f', message: 'after' })
    assert.deepEqual((await second.query({ of: 'old' }, 10)).lines.map(l => l.message), ['before the restart'])
    second.close()
  })

  it('prefixes a driver\'s printed line with the function, task or actor, and node', () => {
    const base: Pick<LogLine, 'name' | 'node'> = { name: 'add', node: '12D3KooWabcdefgh' }
    assert.equal(logPrefix({ ...base, task: 't1' }), '(add task=t1 node=abcdefgh)')
    assert.equal(logPrefix({ ...base, name: 'Counter.incr', task: 't2', actor: '0123456789abcdef' }), '(Counter.incr actor=0123456789ab node=abcdefgh)')
    assert.equal(logPrefix({ name: 'add', node: '' }), '(add)')
  })
})
