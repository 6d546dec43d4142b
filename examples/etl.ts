// An ETL pipeline with the data library: CSV files of orders and customers (generated here, with
// a fixed seed) are read, cleaned (filter), joined by customer (a groupBy over both, one row per
// customer), aggregated per country, sorted, and written out as JSON lines, Parquet and CSV; then
// run again over the same files, where every block task's result is reused (memo), none recomputed.
//
//   npx fabric run examples/etl.ts [out-dir]
//   ETL_ORDERS=200000 npx fabric run examples/etl.ts                    (a bigger job)
//   npx fabric run --address /ip4/.../p2p/... examples/etl.ts           (on a running fabric)
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from 'wasm-fabric/build'
import { Fabric, type GuestModule } from 'wasm-fabric'
import { data } from 'wasm-fabric/data'

type Etl = GuestModule<typeof import('./guests/etl.js')>

const here = path.dirname(fileURLToPath(import.meta.url))
const ORDERS = Number(process.env.ETL_ORDERS ?? 50_000)
const CUSTOMERS = Math.max(10, Math.floor(ORDERS / 20))
const FILES = 4
const out = path.resolve(process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-etl-')))

/** The input: orders in FILES CSV files, customers in one; a seeded generator, so runs compare. */
function generate (dir: string): void {
  let seed = 42 // mulberry32
  const rand = (): number => {
    seed = (seed + 0x6d2b79f5) >>> 0
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const countries = ['DE', 'FR', 'JP', 'US', 'BR', 'IN']
  fs.mkdirSync(path.join(dir, 'orders'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'customers.csv'), 'customer,name,country\n' +
    Array.from({ length: CUSTOMERS }, (_, i) => `c${i},"Customer ${i}, Ltd",${countries[Math.floor(rand() * countries.length)]!}`).join('\n') + '\n')
  const statuses = ['delivered', 'delivered', 'delivered', 'returned', 'pending']
  for (let f = 0; f < FILES; f++) {
    const lines = ['order,customer,amount,status']
    for (let i = f; i < ORDERS; i += FILES) {
      const amount = rand() < 0.02 ? '' : (rand() * 500).toFixed(2)
      lines.push(`${i},c${Math.floor(rand() * CUSTOMERS)},${amount},${statuses[Math.floor(rand() * statuses.length)]!}`)
    }
    fs.writeFileSync(path.join(dir, 'orders', `part-${f}.csv`), lines.join('\n') + '\n')
  }
}

const input = path.join(out, 'input')
generate(input)
const wasm = await cachedBuild(path.join(here, 'guests', 'etl.ts'), path.join(here, '..', '.cache', 'examples'))
const fabric = await Fabric.start()
try {
  const m = await fabric.load<Etl>(wasm)
  // Every block task memoised: a run over input the fabric has seen reuses each block's result.
  const d = data(fabric, { memo: true })
  const pipeline = async () => {
    const orders = d.readCsv(path.join(input, 'orders', '*.csv')).filter(m.isValid).map(m.asOrder)
    const customers = d.readCsv(path.join(input, 'customers.csv')).map(m.asCustomer)
    // The join: both sides keyed by customer, one group per customer, one row out of each.
    const joined = orders.union(customers).groupBy('customer').mapGroups(m.joinCustomer).filter(m.hasOrders)
    const kept = await joined.materialize()
    const perCountry = kept.groupBy('country').aggregate({ fn: 'count' }, { fn: 'sum', on: 'total' }, { fn: 'mean', on: 'total' }).sort('sum(total)', { descending: true })
    return { joined, kept, perCountry }
  }
  const started = Date.now()
  const { joined, kept, perCountry } = await pipeline()
  const files = await kept.sort('total', { descending: true }).writeJson(path.join(out, 'customers'))
  await kept.writeParquet(path.join(out, 'customers-parquet'))
  await perCountry.writeCsv(path.join(out, 'countries'))
  const table = await perCountry.takeAll()
  console.log(`${ORDERS} orders of ${CUSTOMERS} customers in ${((Date.now() - started) / 1000).toFixed(1)} s; ${await kept.count()} customers with orders, in ${files.length} files under ${out}/customers`)
  console.table(table)
  for (const s of joined.stats()) console.log(`  ${s.name}: ${s.tasks} tasks, ${s.blocks} blocks${s.rows === undefined ? '' : `, ${s.rows} rows`}, ${s.wallMs} ms`)

  // The same pipeline again over the same files: every block's result is reused, none recomputed.
  const before = fabric.embedded?.stats().memo
  const again = Date.now()
  const second = await pipeline()
  const same = JSON.stringify(await second.perCountry.takeAll()) === JSON.stringify(table)
  const after = fabric.embedded?.stats().memo
  const reused = before === undefined || after === undefined ? '' : `: ${after.hits + after.remoteHits - before.hits - before.remoteHits} block tasks reused, ${after.misses - before.misses} run`
  console.log(`re-run over the same input in ${((Date.now() - again) / 1000).toFixed(1)} s${reused}; ${same ? 'the same' : 'DIFFERENT'} result`)
} finally {
  await fabric.stop()
}
