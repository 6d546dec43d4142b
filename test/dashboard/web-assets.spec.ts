// The page's files: bundled from src/dashboard/web (Preact, uPlot) into index.html, app.js and
// app.css, written where `npm run build` puts them, and a clear error for sources that do not build.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { bundleWeb, writeWebBundle } from '../../src/dashboard/index.js'
import { tempDir } from '../helpers/fixtures.js'

describe('dashboard/web-assets', function () {
  this.timeout(60_000)
  const dir = tempDir('fabric-dashboard-assets-')
  after(() => { dir.remove() })

  it('bundles the page into index.html, app.js (an ES module with Preact and uPlot) and app.css', async () => {
    const out = path.join(dir.dir, 'bundle')
    await writeWebBundle(out)
    assert.deepEqual(fs.readdirSync(out).sort(), ['app.css', 'app.js', 'index.html'])
    const js = fs.readFileSync(path.join(out, 'app.js'), 'utf8')
    assert.ok(js.length > 30_000 && js.length < 400_000, `app.js is ${js.length} bytes`)
    assert.doesNotMatch(js, /from ?["']preact/, 'packages are bundled, not imported')
    assert.match(fs.readFileSync(path.join(out, 'app.css'), 'utf8'), /\.uplot/, "uPlot's styles are in app.css")
    assert.match(fs.readFileSync(path.join(out, 'index.html'), 'utf8'), /src="app\.js"/)
  })

  it('says why when the sources do not build', async () => {
    const web = path.join(dir.dir, 'broken')
    fs.mkdirSync(web)
    fs.writeFileSync(path.join(web, 'index.html'), '<!doctype html>')
    fs.writeFileSync(path.join(web, 'main.tsx'), "import { nothing } from './missing.js'\nnothing()\n")
    await assert.rejects(bundleWeb(web), (e: Error) => e.name === 'DashboardAssetsError' && /cannot bundle the dashboard page/.test(e.message) && /missing\.js/.test(e.message))
  })
})
