// `/fabric/logs/1` frames: requests and replies validated both ways, lines batched into frames
// that fit the limit.
import assert from 'node:assert/strict'
import { decodeLogFrame, decodeLogRequest, encode, lineFrames, MAX_LOGS_FRAME_BYTES, type WireLogLine } from '../../src/net/index.js'

const line = (i: number, message = 'm'): WireLogLine => ({ seq: i, time: 1000 + i, level: 'info', node: 'p', name: 'f', message })

describe('net: the logs protocol\'s frames', () => {
  it('accepts a well-formed request and refuses bad ones, saying what is wrong', () => {
    assert.deepEqual(decodeLogRequest(encode({ type: 'logs', filter: { job: 'job-1' }, tail: 10, follow: true })), { type: 'logs', filter: { job: 'job-1' }, tail: 10, follow: true })
    const bad: Array<[unknown, RegExp]> = [
      [{ type: 'logs', filter: {}, tail: 10, extra: 1 }, /must be \{ type: 'logs', filter, tail/],
      [{ type: 'logs', filter: { who: 'x' }, tail: 10 }, /filter must map some of job, task, actor, of/],
      [{ type: 'logs', filter: { job: '' }, tail: 10 }, /ids of 1-256 chars/],
      [{ type: 'logs', filter: {}, tail: -1 }, /tail must be an integer from 0 to 10000/],
      [{ type: 'logs', filter: {}, tail: 1.5 }, /tail must be an integer/],
      [{ type: 'logs', filter: {}, tail: 1, follow: false }, /follow must be true/],
      [[1, 2], /must be a CBOR map/]
    ]
    for (const [req, msg] of bad) assert.throws(() => decodeLogRequest(encode(req as object)), (err: Error) => err.name === 'MalformedMessageError' && msg.test(err.message), JSON.stringify(req))
    assert.throws(() => decodeLogRequest(new Uint8Array([0xff, 0x00, 0x13])), { name: 'MalformedMessageError' })
  })

  it('validates the node\'s frames: lines, end, caught-up, dropped, errors', () => {
    assert.deepEqual(decodeLogFrame(encode({ type: 'lines', lines: [line(1)] })), { type: 'lines', lines: [line(1)] })
    assert.deepEqual(decodeLogFrame(encode({ type: 'end', truncated: false, unreachable: ['p2'] })), { type: 'end', truncated: false, unreachable: ['p2'] })
    assert.deepEqual(decodeLogFrame(encode({ type: 'dropped', count: 3 })), { type: 'dropped', count: 3 })
    assert.throws(() => decodeLogFrame(encode({ type: 'lines', lines: [{ ...line(1), secret: 1 }] })), /a line must be/)
    assert.throws(() => decodeLogFrame(encode({ type: 'lines', lines: [{ ...line(1), message: 'x'.repeat(20_000) }] })), /a line must be/)
    assert.throws(() => decodeLogFrame(encode({ type: 'end' })), /end must be \{ truncated, unreachable\? \}/)
    assert.throws(() => decodeLogFrame(encode({ type: 'nope' })), /unknown type "nope"/)
    assert.throws(() => decodeLogFrame(encode({ type: 'error', error: { name: 'Error', message: 'no' } })), (err: Error) => err.name === 'RemoteError' && /refused the logs request: no/.test(err.message))
  })

  it('batches lines into frames under the frame limit, in order', () => {
    const lines = Array.from({ length: 300 }, (_, i) => line(i, 'z'.repeat(16 * 1024)))
    const frames = lineFrames(lines)
    assert.ok(frames.length > 1)
    for (const f of frames) assert.ok(encode(f).byteLength <= MAX_LOGS_FRAME_BYTES, 'fits a frame')
    assert.deepEqual(frames.flatMap(f => f.type === 'lines' ? f.lines.map(l => l.seq) : []), lines.map(l => l.seq))
    assert.deepEqual(lineFrames([]), [])
  })
})
