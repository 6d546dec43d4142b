// The guest runtime's reserved call names: a TypeScript guest cannot export a task whose name
// would hide a vectorised call (`export { f as 'fabric:map:x' }` is valid JavaScript).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { buildComponent, BuildError } from '../../guest-sdk/src/build/index.js'
import { REPO } from '../helpers/fixtures.js'

describe('guest-sdk/runtime: reserved call names', function () {
  this.timeout(120_000)
  let work: string

  before(() => {
    // Inside the repository, so that `import ... from 'fabric/guest'` resolves to this package.
    fs.mkdirSync(path.join(REPO, '.cache'), { recursive: true })
    work = fs.mkdtempSync(path.join(REPO, '.cache', 'reserved-'))
  })

  after(() => {
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true })
  })

  it("refuses to build a guest exporting a task named 'fabric:...', saying the name is reserved", async () => {
    const entry = path.join(work, 'reserved.ts')
    fs.writeFileSync(entry, [
      "import { task } from 'fabric/guest'",
      'const twice = task((x: number) => x * 2)',
      "export { twice as 'fabric:map:twice' }",
      ''
    ].join('\n'))
    const err = await buildComponent({ entry, out: path.join(work, 'reserved.wasm'), noTypes: true }).catch((e: unknown) => e)
    assert.ok(err instanceof BuildError, String(err))
    assert.match(err.message, /task export 'fabric:map:twice': names starting 'fabric:' are reserved for the fabric's own calls/)
  })
})
