// Test components are built once per run and cached by the hash of everything that goes into
// them (fixture sources, the guest SDK, the WIT, the toolchain versions).
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildComponent, type GuestLanguage } from '../../guest-sdk/src/build/index.js'

export const REPO = fileURLToPath(new URL('../../', import.meta.url))
export const FIXTURES = path.join(REPO, 'test', 'fixtures')
const CACHE = path.join(REPO, '.cache', 'test-components')

function* walk (dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) yield * walk(p)
    else yield p
  }
}

function hashInputs (entry: string, lang: GuestLanguage): string {
  const h = createHash('sha256').update(lang)
  const dirs = [path.dirname(entry), path.join(REPO, 'guest-sdk'), path.join(REPO, 'wit'), path.join(REPO, 'src', 'objects')]
  for (const dir of dirs) {
    for (const f of [...walk(dir)].sort()) h.update(path.relative(REPO, f)).update(fs.readFileSync(f))
  }
  h.update(fs.readFileSync(path.join(REPO, 'package-lock.json')))
  return h.digest('hex').slice(0, 24)
}

const inflight = new Map<string, Promise<string>>()

/**
 * Build a fixture guest (or reuse the cached build) and return the component's path; its `.d.ts`
 * sits beside it.
 */
export function fixtureComponent (relEntry: string, lang: GuestLanguage = 'ts'): Promise<string> {
  const entry = path.join(FIXTURES, relEntry)
  const key = `${relEntry}:${lang}`
  let p = inflight.get(key)
  if (p === undefined) {
    p = (async () => {
      const name = path.basename(relEntry).replace(/\.[^.]+$/, '')
      const out = path.join(CACHE, `${name}-${lang}-${hashInputs(entry, lang)}`, `${name}.wasm`)
      if (!fs.existsSync(out)) {
        const tmp = `${path.dirname(out)}.${process.pid}.tmp`
        await buildComponent({ entry, out: path.join(tmp, `${name}.wasm`), lang })
        fs.rmSync(path.dirname(out), { recursive: true, force: true })
        fs.renameSync(tmp, path.dirname(out))
      }
      return out
    })()
    inflight.set(key, p)
  }
  return p
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir (prefix = 'fabric-test-'): { dir: string, remove: () => void } {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), prefix))
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}
