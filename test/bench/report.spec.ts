// The bench report: combined JSON, markdown tables and SVG charts, on synthetic rows (no benchmark
// runs), written only under a temporary directory.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fmtCompact, makeScale, spreadChart, textWidth, throughputChart, wrap } from '../../bench/charts.js'
import type { Row, Stats } from '../../bench/harness.js'
import { buildReport, renderMarkdown, reportBase, safeHost, writeReport, type BenchResult } from '../../bench/report.js'

const st = (median: number, spread = 0.1, rounds = 5): Stats =>
  ({ median, p90: median * (1 + spread), min: median * (1 - spread), max: median * (1 + 2 * spread), rounds })

const RAY = 'Ray 2.22, m5.16xlarge'
const rayRows: Row[] = [
  { metric: 'single_client_tasks_sync', unit: 'ops/s', value: st(12_000), baseline: st(24_000), baselineName: 'plain JS pool', reference: { value: 971, unit: 'ops/s', source: RAY }, target: '>= 10,000/s', met: true, note: 'piscina 17000 ops/s' },
  { metric: 'single_client_tasks_and_get_batch', unit: 'batches/s', value: st(9.03), baseline: st(27.9), baselineName: 'plain JS pool', reference: { value: 5.75, unit: 'batches/s', source: RAY }, target: '>= Ray 5.75/s', met: true },
  { metric: 'single_client_get_calls', unit: 'ops/s', value: st(2_860_000), baseline: st(3_870_000), baselineName: 'Map lookup + CBOR decode, awaited', reference: { value: 10_270, unit: 'ops/s', source: RAY } },
  { metric: 'diagnostic: exec pool call alone, sync (no runtime)', unit: 'ops/s', value: st(14_100), baseline: st(27_500), baselineName: 'plain JS pool' },
  { metric: 'single_client_put_gigabytes (64 MiB)', unit: 'GB/s', value: st(1.51), baseline: st(1.71), baselineName: 'node:crypto sha256', reference: { value: 20.1, unit: 'GB/s', source: RAY }, target: '>= 0.8x sha256 rate', met: true }
]
const componentRows: Row[] = [
  { metric: 'cold start, QuickJS, cached (load + instantiate + first call)', unit: 'ms', value: st(93.3), target: '<= 20 ms', met: false },
  { metric: 'warm round trip 16 B, QuickJS', unit: 'µs', value: st(63.9), baseline: st(45.2), baselineName: 'plain JS pool', target: '<= 50 µs, <= 1.5x', met: false },
  { metric: 'sumSquares 10M, QuickJS', unit: 'ms', value: st(279), baseline: st(8.14), baselineName: 'plain JS pool' },
  { metric: 'AssemblyScript speed-up <over> QuickJS & "x" | pipe', unit: 'x', value: st(33.4, 0, 1), target: '>= 50x', met: false }
]
const machine = { cpu: 'Test CPU 9000', cores: 2, memoryGiB: 24, node: 'v20.0.0', platform: 'linux test', host: 'test host/1', backend: 'test backend' }
const benchmarks: BenchResult[] = [
  { name: 'component', rows: componentRows, seconds: 17.2 },
  { name: 'ray', rows: rayRows, seconds: 21.4 },
  { name: 'broken', rows: [], seconds: 0.1, error: 'Error: boom\n    at somewhere' }
]
const start = new Date('2026-11-28T03:00:00Z')
const report = buildReport(benchmarks, { argv: ['--quick'], start, seconds: 38.7, machine })

/**
 * A small XML well-formedness check: a declaration, comments, start/end/self-closing tags with
 * quoted attributes, text without raw '<' and with only known or numeric entities, every tag
 * closed in order, exactly one root element. Throws on the first problem; returns the element names.
 */
function checkXml (xml: string): string[] {
  const names: string[] = []
  const stack: string[] = []
  let roots = 0
  let i = 0
  const textOk = (t: string, where: number): void => {
    const bad = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/.exec(t)
    if (bad !== null) throw new Error(`bare '&' at ${where + bad.index}`)
  }
  if (xml.startsWith('<?xml')) {
    const e = xml.indexOf('?>')
    if (e < 0) throw new Error('unterminated declaration')
    i = e + 2
  }
  while (i < xml.length) {
    const lt = xml.indexOf('<', i)
    const text = xml.slice(i, lt < 0 ? xml.length : lt)
    if (text.includes('>')) throw new Error(`stray '>' at ${i}`)
    if (stack.length === 0 && text.trim() !== '') throw new Error(`text outside the root at ${i}`)
    textOk(text, i)
    if (lt < 0) break
    if (xml.startsWith('<!--', lt)) {
      const e = xml.indexOf('-->', lt)
      if (e < 0) throw new Error('unterminated comment')
      i = e + 3
      continue
    }
    const gt = xml.indexOf('>', lt)
    if (gt < 0) throw new Error(`unterminated tag at ${lt}`)
    const tag = xml.slice(lt + 1, gt)
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim()
      const open = stack.pop()
      if (open !== name) throw new Error(`</${name}> closes <${open ?? 'nothing'}> at ${lt}`)
    } else {
      const selfClosing = tag.endsWith('/')
      const body = selfClosing ? tag.slice(0, -1) : tag
      const m = /^([A-Za-z_][\w:.-]*)/.exec(body)
      if (m === null) throw new Error(`bad tag name at ${lt}`)
      let rest = body.slice(m[1]!.length)
      const seen = new Set<string>()
      while (rest.trim() !== '') {
        const a = /^\s+([A-Za-z_][\w:.-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(rest)
        if (a === null) throw new Error(`bad attribute in <${m[1]!}> at ${lt}: ${rest.slice(0, 40)}`)
        if (seen.has(a[1]!)) throw new Error(`duplicate attribute ${a[1]!} at ${lt}`)
        seen.add(a[1]!)
        textOk(a[3] ?? a[4] ?? '', lt)
        rest = rest.slice(a[0].length)
      }
      if (stack.length === 0) roots++
      names.push(m[1]!)
      if (!selfClosing) stack.push(m[1]!)
    }
    i = gt + 1
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`)
  if (roots !== 1) throw new Error(`${roots} root elements`)
  return names
}

/** The <text> elements of an SVG with their estimated boxes (the same estimate the charts size with). */
function textBoxes (svg: string): Array<{ s: string, x0: number, x1: number, y0: number, y1: number }> {
  const out = []
  for (const m of svg.matchAll(/<text x="([-\d.]+)" y="([-\d.]+)" font-size="([\d.]+)"([^>]*)>([^<]*)<\/text>/g)) {
    const x = Number(m[1]); const y = Number(m[2]); const size = Number(m[3])
    const s = m[5]!.replace(/&(amp|lt|gt|quot|apos);/g, '_')
    const w = textWidth(s, size)
    const anchor = /text-anchor="(\w+)"/.exec(m[4]!)?.[1] ?? 'start'
    const x0 = anchor === 'middle' ? x - w / 2 : anchor === 'end' ? x - w : x
    out.push({ s, x0, x1: x0 + w, y0: y - 0.76 * size, y1: y + 0.24 * size })
  }
  return out
}

function assertNoOverlap (svg: string): void {
  const w = Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1])
  const h = Number(/<svg[^>]* height="(\d+)"/.exec(svg)![1])
  const boxes = textBoxes(svg)
  assert.ok(boxes.length > 0)
  for (const [i, a] of boxes.entries()) {
    assert.ok(a.x0 >= 0 && a.x1 <= w && a.y0 >= 0 && a.y1 <= h, `text outside the canvas: ${a.s}`)
    for (const b of boxes.slice(i + 1)) {
      const overlap = a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
      assert.ok(!overlap, `texts overlap: '${a.s}' and '${b.s}'`)
    }
  }
}

describe('bench report', () => {
  let tmp: string
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-bench-report-')) })
  afterEach(() => { fs.rmSync(tmp, { recursive: true, force: true }) })

  it('builds the combined report with machine, date, argv, quick and per benchmark its rows', () => {
    assert.equal(report.day, '2026-11-28')
    assert.equal(report.quick, true)
    assert.deepEqual(report.argv, ['--quick'])
    assert.equal(report.machine.cpu, 'Test CPU 9000')
    assert.deepEqual(report.benchmarks.map(b => b.name), ['component', 'ray', 'broken'])
    assert.equal(report.benchmarks[1]!.rows[0]!.baseline!.median, 24_000)
    assert.equal(reportBase(report), '2026-11-28-test_host_1')
    assert.equal(safeHost('../x'), 'x')
  })

  it('renders markdown: machine line first, one row per metric with the ratio, Ray column and notes', () => {
    const md = renderMarkdown(report)
    const lines = md.split('\n')
    assert.match(lines[0]!, /^# Fabric benchmarks: 2026-11-28, test host\/1 \(--quick\)$/)
    assert.match(lines[2]!, /^\*\*Machine:\*\* Test CPU 9000, 2 cores · 24 GiB · Node v20\.0\.0/)
    assert.match(md, /m5\.16xlarge \(64 vCPU/)
    for (const r of [...componentRows, ...rayRows]) {
      const esc = r.metric.replace(/\|/g, '\\|')
      const rows = lines.filter(l => l.startsWith(`| ${esc} |`))
      assert.equal(rows.length, 1, `one table row for ${r.metric}`)
      // Every table row has the header's number of cells (pipes inside a cell are escaped).
      const cells = rows[0]!.split(/(?<!\\)\|/).length
      const table = lines.slice(0, lines.indexOf(rows[0]!)).reverse().find(l => l.startsWith('| metric |'))!
      assert.equal(cells, table.split('|').length)
    }
    const row = (metric: string): string[] => lines.find(l => l.startsWith(`| ${metric} |`))!.split(' | ')
    // fabric 12,000 vs baseline 24,000: 0.50x; vs Ray 971: 12.4x.
    const sync = row('single_client_tasks_sync')
    assert.equal(sync[2], '12,000')
    assert.equal(sync[5], '24,000 (plain JS pool)')
    assert.equal(sync[6], '0.50x')
    assert.equal(sync[7], '971')
    assert.equal(sync[8], '12.4x')
    assert.equal(sync[10], 'yes |')
    assert.equal(row('sumSquares 10M, QuickJS')[6], '34.3x')
    assert.equal(row('warm round trip 16 B, QuickJS')[6], '1.41x')
    // No baseline, no Ray figure: dashes.
    assert.equal(row('diagnostic: exec pool call alone, sync (no runtime)')[7], '—')
    assert.equal(row('cold start, QuickJS, cached (load + instantiate + first call)')[5], '—')
    assert.match(md, /- single_client_tasks_sync: piscina 17000 ops\/s/)
    assert.match(md, /## broken \(0\.1 s\)\n\n\*\*Failed:\*\*\n\n```\nError: boom/)
    assert.match(md, /!\[ray: throughput[^\]]*\]\(2026-11-28-test_host_1\/ray-throughput\.svg\)/)
    assert.match(md, /component has no throughput metrics/)
  })

  it('writes JSON, markdown and charts only under the given directory', () => {
    const copy = path.join(tmp, 'copy', 'out.json')
    const w = writeReport(report, path.join(tmp, 'results'), copy)
    const all: string[] = []
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name)
        if (e.isDirectory()) walk(p)
        else all.push(path.relative(tmp, p))
      }
    }
    walk(tmp)
    assert.deepEqual(all.sort(), [
      'copy/out.json',
      'results/2026-11-28-test_host_1.json',
      'results/2026-11-28-test_host_1.md',
      'results/2026-11-28-test_host_1/component-spread.svg',
      'results/2026-11-28-test_host_1/ray-spread.svg',
      'results/2026-11-28-test_host_1/ray-throughput.svg'
    ].map(p => p.split('/').join(path.sep)))
    for (const p of [w.json, w.markdown, w.chartsDir, ...w.charts]) assert.ok(p.startsWith(tmp + path.sep), p)
    const json = JSON.parse(fs.readFileSync(w.json, 'utf8')) as typeof report
    assert.deepEqual(json, JSON.parse(JSON.stringify(report)))
    assert.equal(fs.readFileSync(copy, 'utf8'), fs.readFileSync(w.json, 'utf8'))
  })

  it('draws a well-formed throughput chart with the values, the baseline and Ray on a log axis', () => {
    const svg = throughputChart('ray', [...rayRows, componentRows[0]!], { subtitle: 'test', refHardware: 'm5.16xlarge' })
    const names = checkXml(svg)
    assert.equal(names[0], 'svg')
    // 5 rate rows (the 'ms' row is left out) x fabric + baseline bars, 4 Ray bars.
    assert.equal((svg.match(/<rect [^>]*fill="#3366AA"/g) ?? []).length, 1 + 5) // legend swatch + bars
    assert.equal((svg.match(/<rect [^>]*fill="#EE7733"/g) ?? []).length, 1 + 5)
    assert.equal((svg.match(/<rect [^>]*fill="#229955"/g) ?? []).length, 1 + 4)
    assert.ok(!svg.includes('cold start'))
    for (const v of ['12k', '24k', '971', '9.03', '27.9', '5.75', '2.86M', '3.87M', '10.3k', '1.51', '1.71', '20.1']) {
      assert.ok(svg.includes(`>${v}</text>`), `value ${v} printed`)
    }
    assert.match(svg, />rate per second \(log scale\)</)
    for (const t of ['1', '10', '100', '1k', '10k', '100k', '1M', '10M']) assert.ok(svg.includes(`>${t}</text>`), `tick ${t}`)
    assert.match(svg, /Ray 2\.22 published \(64-vCPU m5\.16xlarge\)/)
    assertNoOverlap(svg)
  })

  it('draws a well-formed spread chart: one panel per metric, escaped text, medians printed', () => {
    const svg = spreadChart('component', componentRows, { subtitle: 'test' })
    checkXml(svg)
    assert.ok(svg.includes('AssemblyScript speed-up &lt;over&gt; QuickJS &amp; &quot;x&quot; | pipe'))
    for (const v of ['93.3 ms', '63.9 µs', '45.2 µs', '279 ms', '8.14 ms', '33.4 x']) assert.ok(svg.includes(`>${v}</text>`), `median ${v} printed`)
    // The 279 ms vs 8.14 ms panel is logarithmic, the others linear.
    assert.match(svg, />ms · log scale · baseline: plain JS pool</)
    assert.match(svg, />µs · linear scale · baseline: plain JS pool</)
    // A mark per series: 6 bold median ticks in the panels (1 + 2 + 2 + 1) + 1 in the legend example.
    assert.equal((svg.match(/stroke="#222222" stroke-width="3"/g) ?? []).length, 6 + 1)
    assertNoOverlap(svg)
    checkXml(spreadChart('empty', []))
    checkXml(throughputChart('empty', componentRows))
  })

  it('the well-formedness check rejects broken XML', () => {
    assert.throws(() => checkXml('<svg><g></svg>'))
    assert.throws(() => checkXml('<svg><text>a & b</text></svg>'))
    assert.throws(() => checkXml('<svg x="1" x="2"/>'))
    assert.throws(() => checkXml('<svg/><svg/>'))
    assert.throws(() => checkXml('<svg><text>a < b</text></svg>'))
  })

  it('helpers: compact numbers, wrapping, scales', () => {
    assert.equal(fmtCompact(971), '971')
    assert.equal(fmtCompact(12_240), '12.2k')
    assert.equal(fmtCompact(2_859_733), '2.86M')
    assert.equal(fmtCompact(1.5), '1.5')
    assert.equal(fmtCompact(0.001234), '0.0012')
    assert.deepEqual(wrap('a bb ccc dddd', 6), ['a bb', 'ccc', 'dddd'])
    const log = makeScale([5.75, 3_870_000], 0, 600)
    assert.equal(log.log, true)
    assert.deepEqual(log.ticks, [1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7])
    assert.equal(log(1), 0)
    assert.equal(log(1e7), 600)
    const lin = makeScale([8.14, 9.8], 0, 500)
    assert.equal(lin.log, false)
    assert.equal(lin.ticks[0], 0)
    assert.ok(lin.ticks.at(-1)! >= 9.8)
    assert.ok(500 / (lin.ticks.length - 1) >= 48, 'ticks at least minGap apart')
  })
})
