#!/usr/bin/env node
// The `fabric` command. Fabric runs from its TypeScript sources: register the TypeScript loader,
// then hand over to the CLI.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/cli/main.ts')
await main(process.argv)
