// Shared helpers of the net tests: temp dirs, resource bags, polling with a deadline, frame prefixes.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fixedResources, type NodeResources } from '../../src/net/index.js'

export function tmpDir (prefix = 'fabric-net-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export function rmDir (dir: string | undefined): void {
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true })
}

export function nodeResources (cpus: number, extra: Partial<NodeResources> = {}): NodeResources {
  return fixedResources({ cpus, memoryMb: 1024 }, extra)
}

export { waitFor } from '../helpers/wait-for.js'

/** The unsigned varint length prefix of a frame of `n` bytes, for sending a prefix alone. */
export function lengthPrefix (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) { out.push((n % 128) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return Uint8Array.from(out)
}
