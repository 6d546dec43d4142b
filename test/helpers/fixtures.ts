// Test components are built once per run and cached by the hash of everything that goes into
// them (fixture sources, the guest SDK, the WIT, the lock file).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from '../../guest-sdk/src/build/cached-build.js'
import type { GuestLanguage } from '../../guest-sdk/src/build/index.js'

export const REPO = fileURLToPath(new URL('../../', import.meta.url))
export const FIXTURES = path.join(REPO, 'test', 'fixtures')
const CACHE = path.join(REPO, '.cache', 'test-components')

/** Build a fixture guest (or reuse the cached build); returns the component path, `.d.ts` beside it. */
export function fixtureComponent (relEntry: string, lang: GuestLanguage = 'ts'): Promise<string> {
  return cachedBuild(path.join(FIXTURES, relEntry), CACHE, lang)
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir (prefix = 'fabric-test-'): { dir: string, remove: () => void } {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), prefix))
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}
