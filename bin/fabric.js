#!/usr/bin/env node
// The `fabric` command. Installed from npm it runs the built CLI (dist/). In a checkout of the
// repository it runs from the TypeScript sources, so an edit counts without a rebuild: it registers
// the TypeScript loader (tsx) and the 'wasm-fabric-source' export condition, under which drivers
// that import the package by its name ('wasm-fabric', as the examples do) get the sources too.
import { existsSync } from 'node:fs'
import { register } from 'node:module'

const sources = new URL('../src/cli/main.ts', import.meta.url)
const built = new URL('../dist/src/cli/main.js', import.meta.url)
const checkout = !import.meta.url.includes('/node_modules/') && existsSync(sources)

/** tsx's register(), or undefined where it is not installed (a checkout installed without dev dependencies). */
async function tsx () {
  try {
    return (await import('tsx/esm/api')).register
  } catch {
    return undefined
  }
}

let entry = built
const registerTsx = checkout ? await tsx() : undefined
if (registerTsx !== undefined) {
  // tsx first: hooks registered later run earlier, so the condition is added before tsx resolves.
  registerTsx()
  register('./source-condition.mjs', import.meta.url)
  entry = sources
} else if (!existsSync(built)) {
  console.error('fabric: this package has not been built (dist/ is missing): run `npm run build` in it')
  process.exit(1)
}
const { main } = await import(entry.href)
await main(process.argv)
