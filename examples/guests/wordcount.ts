// Word count, map-reduce style: `countWords` counts the words of one chunk of text (the map),
// `merge` adds up the counts of several chunks (the reduce). The driver passes the map tasks'
// refs straight into `merge`, so the counts flow from task to task without visiting the driver.
import { task } from 'wasm-fabric/guest'

/** A word: letters, with inner apostrophes kept ("alice's", "don't"); case folded. */
const WORD = /[a-z]+(?:'[a-z]+)*/g

/** The map: word → occurrences in one chunk. A Map, so any word is a safe key. */
export const countWords = task((text: string): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const word of text.toLowerCase().match(WORD) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1)
  return counts
})

/** The reduce: the sum of several counts (each argument a map task's or another merge's result). */
export const merge = task((...parts: Array<Map<string, number>>): Map<string, number> => {
  const total = new Map<string, number>()
  for (const part of parts) {
    for (const [word, n] of part) total.set(word, (total.get(word) ?? 0) + n)
  }
  return total
})

/** The `k` most frequent words, most frequent first (ties: alphabetical), and the totals. */
export const top = task((counts: Map<string, number>, k: number) => {
  let words = 0
  for (const n of counts.values()) words += n
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return { words, distinct: counts.size, top: ranked.slice(0, k) }
})
