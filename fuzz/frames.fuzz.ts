// Fuzzes the frame reader of src/net/frames.ts (frameStream + readRequest, what every protocol's
// server runs on its stream) with arbitrary bytes sent over an in-memory libp2p stream pair, in
// chunks the input chooses. Checks against a reference decoder of the framing (unsigned varint
// length, then the bytes): readRequest never throws and never hangs, returns exactly the frames
// sent in order, then ends the conversation (undefined) at the end of the bytes or at the first
// frame that is too long or has too long a prefix, and leaves the stream closed, not open.
import { streamPair } from '@libp2p/utils'
import type { Logger } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { frameStream, readRequest } from '../src/net/frames.js'
import { ByteReader, ContractViolation, check, hex } from './support/contract.js'

// streamPair names each mock connection's address by a counter that runs past port 65535 after
// 32,768 pairs (then multiaddr refuses it): give every pair the same address.
const ADDR = multiaddr('/ip4/127.0.0.1/tcp/4001')
const PAIR = { delay: 0, outboundConnection: { remoteAddr: ADDR }, inboundConnection: { remoteAddr: ADDR } }

const quiet = Object.assign(() => {}, { enabled: false, error: () => {}, trace: () => {}, newScope: () => quiet }) as unknown as Logger

/** A bound on one conversation: far above what a few KiB over memory take. */
const DEADLINE_MS = 3000

/** The frames a conforming reader returns for `bytes`, and whether it must stop early (a bad frame). */
function reference (bytes: Uint8Array, maxDataLength: number): { frames: Uint8Array[], refused: boolean } {
  let maxPrefix = 1
  for (let n = maxDataLength; n >= 0x80; n = Math.floor(n / 128)) maxPrefix++
  const frames: Uint8Array[] = []
  let at = 0
  while (at < bytes.length) {
    let length = 0
    let scale = 1
    let i = 0
    for (;; i++) {
      if (at + i >= bytes.length) return { frames, refused: false } // the prefix is cut short: end of stream
      const b = bytes[at + i]!
      length += (b & 0x7f) * scale
      if ((b & 0x80) === 0) break
      scale *= 128
      if (i + 1 >= maxPrefix) return { frames, refused: true }
    }
    if (length > maxDataLength) return { frames, refused: true }
    const start = at + i + 1
    if (start + length > bytes.length) return { frames, refused: false } // the frame is cut short
    frames.push(bytes.subarray(start, start + length))
    at = start + length
  }
  return { frames, refused: false }
}

export async function fuzz (data: Uint8Array): Promise<void> {
  const r = new ByteReader(data)
  const maxDataLength = 1 + (r.u16() % 600)
  const cuts = r.u8() % 4
  const splits = Array.from({ length: cuts }, () => r.u8())
  const bytes = r.rest()
  const expected = reference(bytes, maxDataLength)

  const [client, server] = await streamPair(PAIR)
  const lp = frameStream(server, maxDataLength)
  const got: Uint8Array[] = []
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new ContractViolation(`readRequest did not end within ${DEADLINE_MS} ms (max ${maxDataLength}, input ${hex(bytes)})`)) }, DEADLINE_MS)
  })
  const read = (async () => {
    for (;;) {
      const frame = await readRequest(server, lp, DEADLINE_MS, quiet)
      if (frame === undefined) return
      got.push(frame.subarray())
    }
  })()
  const send = (async () => {
    let at = 0
    for (const s of [...splits.map((n) => Math.min(bytes.length, at + n)), bytes.length]) {
      if (s <= at) continue
      if (!client.send(bytes.subarray(at, s))) await client.onDrain()
      at = s
    }
    await client.close()
  })()
  try {
    await Promise.race([Promise.all([read, send.catch(() => {})]), deadline])
    check(server.status !== 'open', `the conversation ended with the server's stream still open (max ${maxDataLength}, input ${hex(bytes)})`)
  } catch (err) {
    if (err instanceof ContractViolation) throw err
    throw new ContractViolation(`readRequest threw ${(err as Error).name}: ${(err as Error).message}`, { cause: err })
  } finally {
    clearTimeout(timer)
    client.abort(new Error('done'))
    server.abort(new Error('done'))
  }
  check(got.length === expected.frames.length, `read ${got.length} frames, expected ${expected.frames.length} (max ${maxDataLength}, ${expected.refused ? 'refused' : 'not refused'}, input ${hex(bytes)})`)
  got.forEach((f, i) => check(Buffer.compare(f, expected.frames[i]!) === 0, `frame ${i} is ${hex(f)}, expected ${hex(expected.frames[i]!)}`))
}
