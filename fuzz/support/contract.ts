// What every fuzz target checks: a function given untrusted bytes returns, or throws one of the
// project's typed errors (matched by `name`, as everywhere in the fabric). Anything else, and any
// broken roundtrip, is thrown as a ContractViolation, which the fuzzer reports as a finding.
import { inspect, isDeepStrictEqual } from 'node:util'

/** Thrown by a fuzz target when the code under test broke its contract. */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation'
}

/** The outcome of a call that may throw a typed error. */
export type Outcome<T> = { ok: true, value: T } | { ok: false, error: Error }

function refused<T> (what: string, err: unknown, allowed: readonly string[]): Outcome<T> {
  if (err instanceof ContractViolation) throw err
  const name = err instanceof Error ? err.name : typeof err
  if (err instanceof Error && allowed.includes(err.name)) return { ok: false, error: err }
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  throw new ContractViolation(`${what} threw ${name} (allowed: ${allowed.join(', ')}): ${detail}`, { cause: err })
}

/** Run `fn`; a thrown error named in `allowed` is an outcome, any other is a violation. */
export function typed<T> (what: string, allowed: readonly string[], fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() }
  } catch (err) {
    return refused(what, err, allowed)
  }
}

/** Run `fn`, which may not throw at all. */
export function must<T> (what: string, fn: () => T): T {
  const out = typed(what, [], fn)
  if (!out.ok) throw new ContractViolation(`${what} failed`)
  return out.value
}

/** {@link typed} for async functions. */
export async function typedAsync<T> (what: string, allowed: readonly string[], fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() }
  } catch (err) {
    return refused(what, err, allowed)
  }
}

/** Fail the target unless `cond` holds. */
export function check (cond: boolean, what: string): asserts cond {
  if (!cond) throw new ContractViolation(what)
}

/** Fail the target unless `a` and `b` are the same value (deep, strict: classes, typed-array kinds, -0, NaN). */
export function same (a: unknown, b: unknown, what: string): void {
  if (!isDeepStrictEqual(a, b)) throw new ContractViolation(`${what}: ${show(a)} != ${show(b)}`)
}

/** Fail the target unless `a` and `b` hold the same bytes (a Buffer and a Uint8Array may match). */
export function sameBytes (a: Uint8Array, b: Uint8Array, what: string): void {
  if (Buffer.compare(a, b) !== 0) throw new ContractViolation(`${what}: ${hex(a)} != ${hex(b)}`)
}

/** Bytes as hex, cut short past 64 bytes. */
export function hex (b: Uint8Array): string {
  const s = Buffer.from(b.buffer, b.byteOffset, Math.min(b.byteLength, 64)).toString('hex')
  return b.byteLength > 64 ? `${s}... (${b.byteLength} bytes)` : s
}

/** A short, readable form of a value for a violation's message. */
export function show (v: unknown): string {
  const s = inspect(v, { depth: 4, maxArrayLength: 16, maxStringLength: 64, breakLength: Infinity })
  return s.length > 300 ? `${s.slice(0, 297)}...` : s
}

/** The fuzzer's input as a plain Uint8Array of its own (the wire hands the decoders Uint8Arrays, not Buffers). */
export function plain (data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.byteLength)
  out.set(data)
  return out
}

/** The first byte picks which function a multi-function target calls; the rest is its input. */
export function pick (data: Uint8Array, choices: number): { choice: number, rest: Uint8Array } {
  return data.byteLength === 0 ? { choice: 0, rest: new Uint8Array(0) } : { choice: data[0]! % choices, rest: plain(data.subarray(1)) }
}

/** Where in a decoded message a value of a type that CBOR data cannot carry sits (a symbol, a function), if anywhere. */
export function foreignValue (value: unknown, path = 'message'): string | undefined {
  const stack: Array<[unknown, string]> = [[value, path]]
  while (stack.length > 0) {
    const [v, at] = stack.pop()!
    if (typeof v === 'symbol' || typeof v === 'function') return `${at} is a ${typeof v} (${String(v)})`
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || v instanceof Error) continue
    if (v instanceof Map) for (const [k, x] of v) stack.push([k, `${at} key`], [x, `${at}.get(${String(k)})`])
    else for (const [k, x] of Object.entries(v)) stack.push([x, `${at}.${k}`])
  }
  return undefined
}

/**
 * Whether to check what is known to be broken and reported, not yet fixed (FUZZ_STRICT=1, or
 * `npm run fuzz -- --strict`): docs/fuzzing.md lists each such issue. Off, the suite stays green.
 */
export const STRICT = process.env.FUZZ_STRICT === '1'

/**
 * Fail the target unless `err` has the wire shape of an error: string name and message, a boolean
 * retryable, and Error causes of that shape (a peer's error used to be trusted beyond its name and
 * message: fixed in deserializeError, regression in test/fuzz/regressions.spec.ts).
 */
export function errorShape (err: unknown, what: string): void {
  for (let e = err, depth = 0; e !== undefined; e = (e as Error).cause, depth++) {
    check(e instanceof Error, `${what}${'.cause'.repeat(depth)} is not an Error: ${show(e)}`)
    check(typeof e.name === 'string' && typeof e.message === 'string', `${what}${'.cause'.repeat(depth)} has a name or message that is not a string: ${show(e)}`)
    const retryable = (e as { retryable?: unknown }).retryable
    check(retryable === undefined || typeof retryable === 'boolean', `${what}${'.cause'.repeat(depth)}.retryable is ${show(retryable)}, not a boolean`)
  }
}

/** Reads small integers off the fuzzer's bytes; past the end it reads zeros, so every input is a program. */
export class ByteReader {
  private at = 0
  constructor (private readonly bytes: Uint8Array) {}
  get done (): boolean { return this.at >= this.bytes.length }
  u8 (): number { return this.bytes[this.at++] ?? 0 }
  u16 (): number { return this.u8() | (this.u8() << 8) }
  /** Up to `n` of the bytes that are left. */
  take (n: number): Uint8Array {
    const out = this.bytes.subarray(this.at, this.at + n)
    this.at += out.length
    return out
  }
  rest (): Uint8Array { return this.take(this.bytes.length) }
}
