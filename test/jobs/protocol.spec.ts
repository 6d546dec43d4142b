// `/fabric/jobs/1` frames: what the node accepts from a client, and what the client accepts back.
import assert from 'node:assert/strict'
import { encode } from '../../src/net/messages.js'
import { serializeError } from '../../src/errors/index.js'
import { checkJobInfo, decodeDataFrame, decodeJobsReply, decodeJobsRequest, JobRefusedError, listReply, MAX_JOBS_DATA_BYTES, MAX_JOBS_REPLY_BYTES, type JobInfo } from '../../src/jobs/index.js'

const CID = 'bafkreifmgpstaggmfu3hmlb3pjzg6hzv4gmkr2qf2ksnvapbze2rutpbna'
const submit = (over: Record<string, unknown> = {}): Uint8Array => encode({
  type: 'submit', entry: 'main.fabric-job.mjs', driver: 'main.ts', args: ['a'], wait: true,
  files: [{ path: 'main.ts', size: 10 }, { path: 'lib/k.wasm', size: 5, cid: CID }, { path: 'main.fabric-job.mjs', size: 3, executable: true }],
  ...over
})
const job: JobInfo = { id: 'job-submit-0123456789abcdef', state: 'succeeded', driver: 'main.ts', args: [], submitter: '12D3KooW', submittedAt: 1, startedAt: 2, endedAt: 3, exitCode: 0, files: 3, bytes: 18, sentBytes: 18 }

describe('jobs protocol', () => {
  it('takes a submit with its files, components named by CID', () => {
    const req = decodeJobsRequest(submit({ name: 'nightly' }))
    assert.equal(req.type, 'submit')
    if (req.type !== 'submit') return
    assert.equal(req.name, 'nightly')
    assert.deepEqual(req.files.map(f => f.path), ['main.ts', 'lib/k.wasm', 'main.fabric-job.mjs'])
    assert.equal(req.files[1]!.cid, CID)
    assert.equal(req.files[2]!.executable, true)
  })

  it('refuses paths that would leave the job\'s directory or clash', () => {
    const bad: Array<[unknown[], RegExp]> = [
      [[{ path: '../x', size: 1 }], /\.\. segments/],
      [[{ path: '/etc/passwd', size: 1 }], /must be relative/],
      [[{ path: 'a\\b', size: 1 }], /must be relative/],
      [[{ path: 'a//b', size: 1 }], /empty/],
      [[{ path: 'node_modules/wasm-fabric/index.js', size: 1 }], /node_modules/],
      [[{ path: 'a', size: 1 }, { path: 'a', size: 1 }], /twice/],
      [[{ path: 'a', size: 1 }, { path: 'a/b', size: 1 }], /both as a file and as a directory/],
      [[{ path: 'a', size: -1 }], /size must be an integer/],
      [[{ path: 'a.wasm', size: 1, cid: 'not-a-cid' }], /CIDv1/],
      [[{ path: 'a', size: 1, mode: 0o777 }], /unknown field mode/]
    ]
    for (const [files, re] of bad) {
      assert.throws(() => decodeJobsRequest(submit({ files: [...files, { path: 'main.fabric-job.mjs', size: 1 }] })), (e: Error) => e.name === 'MalformedMessageError' && re.test(e.message), JSON.stringify(files))
    }
    assert.throws(() => decodeJobsRequest(submit({ entry: 'other.mjs' })), /entry must be one of the files/)
    assert.throws(() => decodeJobsRequest(submit({ wait: 'yes' })), /wait must be a boolean/)
    assert.throws(() => decodeJobsRequest(submit({ args: Array.from({ length: 300 }, () => 'x') })), /args must be a list of at most 256/)
    assert.throws(() => decodeJobsRequest(submit({ extra: 1 })), /unknown field extra/)
  })

  it('takes list, status, logs and stop; refuses ids that are not submission ids', () => {
    assert.deepEqual(decodeJobsRequest(encode({ type: 'list' })), { type: 'list' })
    assert.deepEqual(decodeJobsRequest(encode({ type: 'logs', id: job.id, follow: true })), { type: 'logs', id: job.id, follow: true })
    assert.deepEqual(decodeJobsRequest(encode({ type: 'stop', id: job.id })), { type: 'stop', id: job.id })
    assert.throws(() => decodeJobsRequest(encode({ type: 'status', id: '../../etc' })), /job-submit- and 16 hex digits/)
    assert.throws(() => decodeJobsRequest(encode({ type: 'run' })), /request type must be/)
    assert.throws(() => decodeJobsRequest(new Uint8Array([0xff, 0x00])), /not valid CBOR/)
  })

  it('takes data frames of 1 byte up to the frame limit', () => {
    assert.deepEqual(decodeDataFrame(encode({ type: 'data', data: new Uint8Array([1, 2]) })), new Uint8Array([1, 2]))
    assert.throws(() => decodeDataFrame(encode({ type: 'data', data: new Uint8Array(0) })), /1-/)
    assert.throws(() => decodeDataFrame(encode({ type: 'data', data: new Uint8Array(MAX_JOBS_DATA_BYTES + 1) })), /1-/)
    assert.throws(() => decodeDataFrame(encode({ type: 'data', data: 'text' })), /expected/)
  })

  it('replies round-trip; an error frame comes back as the node\'s error, by name', () => {
    for (const r of [{ type: 'need', files: [0, 2] }, { type: 'out', fd: 2, data: new Uint8Array([104, 105]) }, { type: 'end', job }, { type: 'jobs', jobs: [job], truncated: false }]) {
      assert.deepEqual(decodeJobsReply(encode(r)), r)
    }
    assert.throws(() => decodeJobsReply(encode({ type: 'error', error: serializeError(new JobRefusedError('this node does not accept jobs: start it with `fabric join --accept-jobs`')) })),
      (e: Error) => e.name === 'JobRefusedError' && /--accept-jobs/.test(e.message))
    assert.throws(() => decodeJobsReply(encode({ type: 'out', fd: 3, data: new Uint8Array(1) })), /fd: 1 \| 2/)
    assert.throws(() => decodeJobsReply(encode({ type: 'what' })), /is not one of/)
  })

  it('a list reply keeps to one frame: the newest jobs that fit, said to be truncated', () => {
    const long = { ...job, args: Array.from({ length: 256 }, () => 'a'.repeat(4000)) }
    const reply = listReply(Array.from({ length: 20 }, () => long))
    assert.ok(reply.truncated && reply.jobs.length > 0 && reply.jobs.length < 20, `${reply.jobs.length} jobs`)
    assert.ok(encode(reply).byteLength <= MAX_JOBS_REPLY_BYTES)
    assert.deepEqual(listReply([job]), { type: 'jobs', jobs: [job], truncated: false })
  })

  it('checks a job\'s description field by field', () => {
    assert.deepEqual(checkJobInfo(job), job)
    assert.throws(() => checkJobInfo({ ...job, state: 'done' }), /job.state must be one of/)
    assert.throws(() => checkJobInfo({ ...job, exitCode: 300 }), /exitCode must be an integer from 0 to 255/)
    assert.throws(() => checkJobInfo({ ...job, secret: 'x' }), /unknown field secret/)
  })
})
