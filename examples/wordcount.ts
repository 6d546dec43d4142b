// Word count as map-reduce on an embedded fabric: the driver splits a public-domain book into
// chunks and `put`s each one; a `countWords` task per chunk counts its words; `merge` tasks add the
// counts up in a tree, each taking the refs of the tasks below it as arguments (the counts travel
// task to task; the driver only wires refs), and a `top` task ranks the words.
//
//   npx fabric run examples/wordcount.ts [file.txt]
//   WORDCOUNT_COPIES=8 WORDCOUNT_CHUNK_KB=32 npx fabric run examples/wordcount.ts
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from 'wasm-fabric/build'
import { Fabric, type GuestModule, type ObjectRef } from 'wasm-fabric'

type WordCount = GuestModule<typeof import('./guests/wordcount.js')>
type Counts = Map<string, number>

const here = path.dirname(fileURLToPath(import.meta.url))
const FILE = process.argv[2] ?? path.join(here, 'data', 'alice.txt')
const COPIES = Number(process.env.WORDCOUNT_COPIES ?? 4) // the book, this many times over: a bigger job
const CHUNK_KB = Number(process.env.WORDCOUNT_CHUNK_KB ?? 16)
const FANIN = Number(process.env.WORDCOUNT_FANIN ?? 4) // counts merged by one `merge` task
const TOP = Number(process.env.WORDCOUNT_TOP ?? 10)
const WORKERS = process.env.FABRIC_WORKERS === undefined ? undefined : Number(process.env.FABRIC_WORKERS)

/** The book without its leading `#` header lines (source and license notes). */
function readBook (file: string): string {
  const lines = fs.readFileSync(file, 'utf8').split('\n')
  let start = 0
  while (start < lines.length && lines[start]!.startsWith('#')) start++
  return lines.slice(start).join('\n')
}

/** Chunks of about `size` characters, cut at line ends so that no word is split in two. */
function chunksOf (text: string, size: number): string[] {
  const chunks: string[] = []
  let at = 0
  while (at < text.length) {
    let end = Math.min(text.length, at + size)
    if (end < text.length) {
      const nl = text.indexOf('\n', end)
      end = nl === -1 ? text.length : nl + 1
    }
    chunks.push(text.slice(at, end))
    at = end
  }
  return chunks
}

const t0 = performance.now()
const book = readBook(FILE)
const text = Array.from({ length: COPIES }, () => book).join('\n')
const wasm = await cachedBuild(path.join(here, 'guests', 'wordcount.ts'), path.join(here, '..', '.cache', 'examples'))
const fabric = await Fabric.start(WORKERS === undefined ? {} : { workers: WORKERS })
try {
  const wc = await fabric.load<WordCount>(wasm)
  const chunks = chunksOf(text, CHUNK_KB * 1024)
  console.log(`${path.basename(FILE)}: ${(book.length / 1024).toFixed(1)} KiB` +
    (COPIES === 1 ? '' : `, ${COPIES} copies (${(text.length / 1024).toFixed(1)} KiB)`) +
    ` in ${chunks.length} chunks of ~${CHUNK_KB} KiB`)

  const started = performance.now()
  // Map: one task per chunk, each reading its chunk from the object store.
  let level: Array<ObjectRef<Counts>> = chunks.map(chunk => wc.countWords.remote(fabric.put(chunk)))
  let tasks = level.length
  // Reduce: a tree of merges, FANIN refs into each, until one ref is left.
  let depth = 0
  while (level.length > 1) {
    const next: Array<ObjectRef<Counts>> = []
    for (let i = 0; i < level.length; i += FANIN) next.push(wc.merge.remote(...level.slice(i, i + FANIN)))
    tasks += next.length
    level = next
    depth++
  }
  const { words, distinct, top } = await fabric.get(wc.top.remote(level[0]!, TOP))
  const seconds = (performance.now() - started) / 1000

  console.log(`top ${top.length} words:`)
  top.forEach(([word, n], i) => console.log(`${String(i + 1).padStart(4)}. ${word.padEnd(8)} ${String(n).padStart(7)}`))
  console.log(`words: ${words}, distinct: ${distinct}` + (COPIES === 1 ? '' : ` (per copy: ${words / COPIES} words)`))
  console.log(`${tasks + 1} tasks (${chunks.length} map, ${tasks - chunks.length} merge in ${depth} levels, 1 top) in ${seconds.toFixed(2)} s; wall time ${((performance.now() - t0) / 1000).toFixed(2)} s`)
} finally {
  await fabric.stop()
}
