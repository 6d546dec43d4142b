// Files for the readers and writers: paths, folders and globs expanded to files (sorted), and a
// text file cut into pieces at line ends so one read task takes a byte range, not a whole file.
// Guests have no file system: the driver reads the bytes, a task parses them next to the block.
import fs from 'node:fs'
import path from 'node:path'

/**
 * The files `paths` name: a file as itself, a folder as every file under it (hidden ones left
 * out), a glob (`*`, `?`, `**` in any segment) as the files it matches. Sorted, without repeats.
 * @throws Error naming a path that matches nothing
 */
export function expandPaths (paths: string | readonly string[], what: string): string[] {
  const out = new Set<string>()
  for (const p of typeof paths === 'string' ? [paths] : paths) {
    if (typeof p !== 'string' || p === '') throw new TypeError(`${what}: a path must be a non-empty string, got ${JSON.stringify(p)}`)
    const found = /[*?]/.test(p) ? glob(p) : fs.existsSync(p) ? (fs.statSync(p).isDirectory() ? walk(p) : [p]) : []
    if (found.length === 0) throw new Error(`${what}: ${p} matches no file`)
    for (const f of found) out.add(path.resolve(f))
  }
  return [...out].sort()
}

function walk (dir: string): string[] {
  const files: string[] = []
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue
    const p = path.join(dir, e.name)
    if (e.isDirectory()) files.push(...walk(p))
    else if (e.isFile()) files.push(p)
  }
  return files
}

function glob (pattern: string): string[] {
  const segments = path.resolve(pattern).split(path.sep)
  const firstWild = segments.findIndex(s => /[*?]/.test(s))
  const base = segments.slice(0, firstWild).join(path.sep) || path.sep
  if (!fs.existsSync(base)) return []
  const re = globRegex(segments.slice(firstWild))
  return walk(base).filter(f => re.test(path.relative(base, f).split(path.sep).join('/')))
}

/** Path segments with `*`, `?` and `**` as a regex over '/'-separated relative paths. */
function globRegex (segments: string[]): RegExp {
  let re = ''
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1
    if (seg === '**') {
      re += last ? '.*' : '(?:[^/]+/)*'
      return
    }
    re += [...seg].map(ch => ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('')
    if (!last) re += '/'
  })
  return new RegExp('^' + re + '$')
}

/**
 * A file's bytes in pieces of about `targetBytes`, each cut just after a line end (a line longer
 * than the target stays whole); read a piece at a time.
 */
export async function * linePieces (file: string, targetBytes: number): AsyncGenerator<Uint8Array> {
  const handle = await fs.promises.open(file, 'r')
  try {
    const size = (await handle.stat()).size
    let carry: Uint8Array = new Uint8Array(0)
    let at = 0
    while (at < size || carry.byteLength > 0) {
      const want = Math.max(0, Math.min(targetBytes, size - at))
      const buf = new Uint8Array(carry.byteLength + want)
      buf.set(carry, 0)
      if (want > 0) {
        const { bytesRead } = await handle.read(buf, carry.byteLength, want, at)
        at += bytesRead
      }
      if (at >= size) {
        if (buf.byteLength > 0) yield buf
        break
      }
      const cut = buf.lastIndexOf(10)
      if (cut < 0) {
        // No line end yet: keep reading this line.
        carry = buf
        continue
      }
      yield buf.subarray(0, cut + 1)
      carry = buf.slice(cut + 1)
    }
  } finally {
    await handle.close()
  }
}
