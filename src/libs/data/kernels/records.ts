// The data library's record kernels (AssemblyScript): sorting and sampling blocks of fixed-width
// binary records (gensort's shape: a key of some bytes at some offset in each record), compiled
// ahead of time to WebAssembly so a pass over a block runs near native speed (a QuickJS guest
// decodes each record into an object and compares in an interpreter: ~100x slower). Blocks arrive
// and leave as bytes; a key is compared as unsigned bytes, left to right (memcmp order).
import { fail } from 'fabric/guest-as'

/**
 * A block's records sorted by key (stable: equal keys keep their order). The records are moved in
 * place (the argument is this call's own copy), so a call holds the block about three times (the
 * argument's bytes as they arrived, the block, the result as it leaves) plus 24 bytes a record.
 */
export function sortRecords (block: Uint8Array, width: i32, keyOffset: i32, keyLength: i32, descending: bool): Uint8Array {
  if (badShape(block, width, keyOffset, keyLength)) return new Uint8Array(0)
  const n = block.length / width
  if (n == 0) return block
  const src = block.dataStart
  // Each record's first 8 key bytes as a big-endian u64 (zero-padded), beside its index.
  const prefixLength = keyLength < 8 ? keyLength : 8
  let keys = new StaticArray<u64>(n)
  let order = new StaticArray<u32>(n)
  for (let i = 0; i < n; i++) {
    const at = src + <usize>i * <usize>width + <usize>keyOffset
    let k: u64 = 0
    for (let j = 0; j < 8; j++) k = (k << 8) | (j < prefixLength ? <u64>load<u8>(at + <usize>j) : 0)
    unchecked(keys[i] = descending ? ~k : k)
    unchecked(order[i] = <u32>i)
  }
  // LSD radix sort on 16-bit digits of the prefix (stable), skipping digits every key shares.
  let keys2 = new StaticArray<u64>(n)
  let order2 = new StaticArray<u32>(n)
  const counts = new StaticArray<u32>(65536)
  for (let shift: u64 = 0; shift < 64; shift += 16) {
    memory.fill(changetype<usize>(counts), 0, 65536 * 4)
    for (let i = 0; i < n; i++) {
      const d = <i32>((unchecked(keys[i]) >> shift) & 0xffff)
      unchecked(counts[d] = counts[d] + 1)
    }
    let same = false
    for (let d = 0; d < 65536; d++) if (unchecked(counts[d]) == <u32>n) { same = true; break }
    if (same) continue
    let sum: u32 = 0
    for (let d = 0; d < 65536; d++) { const c = unchecked(counts[d]); unchecked(counts[d] = sum); sum += c }
    for (let i = 0; i < n; i++) {
      const k = unchecked(keys[i])
      const d = <i32>((k >> shift) & 0xffff)
      const to = unchecked(counts[d])
      unchecked(counts[d] = to + 1)
      unchecked(keys2[to] = k)
      unchecked(order2[to] = unchecked(order[i]))
    }
    const tk = keys; keys = keys2; keys2 = tk
    const to = order; order = order2; order2 = to
  }
  // Keys longer than 8 bytes: runs of equal prefix sorted by the rest (insertion sort, then
  // merge sort for long runs).
  if (keyLength > 8) {
    let i = 0
    while (i < n) {
      let j = i + 1
      while (j < n && unchecked(keys[j]) == unchecked(keys[i])) j++
      if (j - i > 1) sortRun(order, order2, i, j, src, width, keyOffset + 8, keyLength - 8, descending)
      i = j
    }
  }
  // Position i takes record order[i]: follow each cycle of the permutation, one record aside.
  const w = <usize>width
  const aside = heap.alloc(w)
  for (let i = 0; i < n; i++) {
    let k = <i32>unchecked(order[i])
    if (k == i) continue
    memory.copy(aside, src + <usize>i * w, w)
    let j = i
    while (k != i) {
      memory.copy(src + <usize>j * w, src + <usize>k * w, w)
      unchecked(order[j] = <u32>j)
      j = k
      k = <i32>unchecked(order[j])
    }
    memory.copy(src + <usize>j * w, aside, w)
    unchecked(order[j] = <u32>j)
  }
  heap.free(aside)
  return block
}

/** `count` keys of a sorted block at even steps (first and last included), concatenated. */
export function sampleKeys (block: Uint8Array, width: i32, keyOffset: i32, keyLength: i32, count: i32): Uint8Array {
  if (badShape(block, width, keyOffset, keyLength)) return new Uint8Array(0)
  const n = block.length / width
  const k = n < count ? n : count
  const out = new Uint8Array(k * keyLength)
  for (let i = 0; i < k; i++) {
    const r = k == 1 ? 0 : <i32>(<i64>i * <i64>(n - 1) / <i64>(k - 1))
    memory.copy(out.dataStart + <usize>i * <usize>keyLength, block.dataStart + <usize>r * <usize>width + <usize>keyOffset, <usize>keyLength)
  }
  return out
}

/** Whether the key lies inside the record and the block holds whole records (else the call fails). */
function badShape (block: Uint8Array, width: i32, keyOffset: i32, keyLength: i32): bool {
  if (width <= 0 || keyOffset < 0 || keyLength <= 0 || keyOffset + keyLength > width) {
    fail(`the key (bytes ${keyOffset} to ${keyOffset + keyLength}) must lie inside a record of ${width} bytes`, 'bad-argument')
    return true
  }
  if (block.length % width != 0) {
    fail(`a block of ${block.length} bytes does not hold whole records of ${width} bytes`, 'bad-argument')
    return true
  }
  return false
}

@inline
function compare (a: usize, b: usize, length: i32): i32 {
  for (let i = 0; i < length; i++) {
    const x = <i32>load<u8>(a + <usize>i)
    const y = <i32>load<u8>(b + <usize>i)
    if (x != y) return x - y
  }
  return 0
}

function sortRun (order: StaticArray<u32>, tmp: StaticArray<u32>, from: i32, to: i32, src: usize, width: i32, offset: i32, length: i32, descending: bool): void {
  if (to - from <= 16) {
    for (let i = from + 1; i < to; i++) {
      const x = unchecked(order[i])
      let j = i - 1
      while (j >= from) {
        const y = unchecked(order[j])
        let c = compare(src + <usize>y * <usize>width + <usize>offset, src + <usize>x * <usize>width + <usize>offset, length)
        if (descending) c = -c
        if (c <= 0) break
        unchecked(order[j + 1] = y)
        j--
      }
      unchecked(order[j + 1] = x)
    }
    return
  }
  const mid = (from + to) >>> 1
  sortRun(order, tmp, from, mid, src, width, offset, length, descending)
  sortRun(order, tmp, mid, to, src, width, offset, length, descending)
  let i = from
  let j = mid
  let k = from
  while (i < mid && j < to) {
    const a = unchecked(order[i])
    const b = unchecked(order[j])
    let c = compare(src + <usize>a * <usize>width + <usize>offset, src + <usize>b * <usize>width + <usize>offset, length)
    if (descending) c = -c
    if (c <= 0) { unchecked(tmp[k++] = a); i++ } else { unchecked(tmp[k++] = b); j++ }
  }
  while (i < mid) unchecked(tmp[k++] = unchecked(order[i++]))
  while (j < to) unchecked(tmp[k++] = unchecked(order[j++]))
  for (let t = from; t < to; t++) unchecked(order[t] = unchecked(tmp[t]))
}
