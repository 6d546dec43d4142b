// Length-prefixed frames (unsigned varint length, then the bytes) over a libp2p stream, with a
// size limit enforced from the prefix alone, before any of the frame is read.
import './polyfill.js'
import { lpStream } from '@libp2p/utils'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { MalformedMessageError } from './errors.js'

/** Bytes the read buffer may hold beyond one frame, so a client flooding junk is cut off early. */
const BUFFER_SLACK_BYTES = 64 * 1024

/**
 * Wrap `stream` in length-prefixed frames of at most `maxDataLength` bytes. A longer frame, or a
 * length prefix with more bytes than such a length needs, fails the read. `maxBufferSize`: what may
 * arrive ahead of the reader (a bulk receiver must allow the muxer's whole window).
 */
export function frameStream (stream: Stream, maxDataLength: number, maxBufferSize = maxDataLength + BUFFER_SLACK_BYTES): LengthPrefixedStream<Stream> {
  const maxPrefixBytes = varintLength(maxDataLength)
  return lpStream(stream, {
    maxDataLength,
    maxLengthLength: maxPrefixBytes,
    maxBufferSize,
    lengthDecoder: boundedVarint(maxPrefixBytes)
  })
}

function varintLength (n: number): number {
  let bytes = 1
  while (n >= 0x80) { n = Math.floor(n / 128); bytes++ }
  return bytes
}

// lpStream keeps reading while the decoder throws RangeError (prefix incomplete), so a stock
// decoder would wait forever on endless continuation bytes: fail as soon as the prefix is too long.
function boundedVarint (maxBytes: number): (data: Uint8ArrayList) => number {
  return (data) => {
    let value = 0
    let scale = 1
    for (let i = 0; i < data.byteLength; i++) {
      const b = data.get(i)
      value += (b & 0x7f) * scale
      if ((b & 0x80) === 0) return value
      scale *= 128
      if (i + 1 >= maxBytes) throw new MalformedMessageError(`frame length prefix longer than ${maxBytes} bytes`)
    }
    throw new RangeError('incomplete length prefix')
  }
}
