// What `fabric submit` sends: the working directory's files (not node_modules or .git), components
// named by CID, and the driver bundled beside itself with `wasm-fabric` left as an import.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { cidOfBytes } from '../../src/objects/index.js'
import { prepareUpload } from '../../src/jobs/index.js'
import { tempDir } from '../helpers/fixtures.js'

describe('jobs upload', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => { tmp = tempDir('fabric-jobs-upload-') })
  afterEach(() => { tmp.remove() })

  it('sends the working directory\'s files and the bundled driver beside the driver', async () => {
    const w = tmp.dir
    fs.mkdirSync(path.join(w, 'src'))
    fs.mkdirSync(path.join(w, 'node_modules', 'x'), { recursive: true })
    fs.mkdirSync(path.join(w, '.git'))
    fs.writeFileSync(path.join(w, 'src', 'helper.ts'), 'export const two: number = 2\n')
    fs.writeFileSync(path.join(w, 'src', 'main.ts'), "import { Fabric } from 'wasm-fabric'\nimport { two } from './helper.js'\nconsole.log(two, typeof Fabric)\n")
    fs.writeFileSync(path.join(w, 'k.wasm'), 'not really wasm')
    fs.writeFileSync(path.join(w, 'node_modules', 'x', 'index.js'), '')
    fs.writeFileSync(path.join(w, '.git', 'HEAD'), '')
    fs.symlinkSync('/etc/hostname', path.join(w, 'link'))
    const up = await prepareUpload(path.join(w, 'src', 'main.ts'), w)
    assert.deepEqual(up.files.map(f => f.path), ['k.wasm', 'src/helper.ts', 'src/main.ts', 'src/main.fabric-job.mjs'])
    assert.equal(up.entry, 'src/main.fabric-job.mjs')
    assert.equal(up.driver, 'src/main.ts')
    assert.equal(up.files[0]!.cid, await cidOfBytes(new TextEncoder().encode('not really wasm')))
    const bundle = new TextDecoder().decode(up.files[3]!.source as Uint8Array)
    assert.match(bundle, /from "wasm-fabric"/)
    assert.match(bundle, /var two = 2/)
  })

  it('says where a driver fails to bundle', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'bad.ts'), "import { nope } from './missing.js'\nconsole.log(nope)\n")
    await assert.rejects(prepareUpload(path.join(tmp.dir, 'bad.ts')), (e: Error) => e.name === 'UploadError' && /bad\.ts:1:\d+: Could not resolve "\.\/missing\.js"/.test(e.message))
    await assert.rejects(prepareUpload(path.join(tmp.dir, 'none.ts')), /no such driver file/)
  })
})
