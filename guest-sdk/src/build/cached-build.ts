// Build a guest only when its inputs changed: the output folder is named by a hash of the
// entry's folder, the SDK, the WIT and the lock file. Used by tests, benchmarks and `npm start`.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { buildComponent, type GuestLanguage } from './index.js'
import { PACKAGE_ROOT } from './paths.js'

function * walk (dir: string): Generator<string> {
  if (!fs.existsSync(dir)) return
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) yield * walk(p)
    else yield p
  }
}

function inputsHash (entry: string, lang: GuestLanguage): string {
  const h = createHash('sha256').update(lang)
  const dirs = [path.dirname(entry), path.join(PACKAGE_ROOT, 'guest-sdk'), path.join(PACKAGE_ROOT, 'wit'), path.join(PACKAGE_ROOT, 'src', 'objects')]
  for (const dir of dirs) {
    for (const f of [...walk(dir)].sort()) h.update(path.relative(PACKAGE_ROOT, f)).update(fs.readFileSync(f))
  }
  const lock = path.join(PACKAGE_ROOT, 'package-lock.json')
  if (fs.existsSync(lock)) h.update(fs.readFileSync(lock))
  return h.digest('hex').slice(0, 24)
}

const inflight = new Map<string, Promise<string>>()

/**
 * The path of a built component for `entry`, building it into `cacheRoot` only if no build of the
 * same inputs is there. Concurrent calls for the same entry share one build.
 *
 * @example
 * const wasm = await cachedBuild('examples/guests/pi.ts', '.cache/examples')
 */
export function cachedBuild (entry: string, cacheRoot: string, lang: GuestLanguage = 'ts'): Promise<string> {
  const abs = path.resolve(entry)
  const key = `${abs}:${lang}:${path.resolve(cacheRoot)}`
  let p = inflight.get(key)
  if (p === undefined) {
    p = (async () => {
      const name = path.basename(abs).replace(/\.[^.]+$/, '')
      const dir = path.join(cacheRoot, `${name}-${lang}-${inputsHash(abs, lang)}`)
      const out = path.join(dir, `${name}.wasm`)
      if (!fs.existsSync(out)) {
        const tmp = `${dir}.${process.pid}.tmp`
        fs.rmSync(tmp, { recursive: true, force: true })
        await buildComponent({ entry: abs, out: path.join(tmp, `${name}.wasm`), lang })
        fs.rmSync(dir, { recursive: true, force: true })
        fs.renameSync(tmp, dir)
      }
      return out
    })()
    p.catch(() => inflight.delete(key))
    inflight.set(key, p)
  }
  return p
}
