// `fabric run [--address <multiaddr>] <driver.ts|.js> [args...]`: run a driver program. TypeScript
// runs as is (the fabric command has the TypeScript loader registered). The driver starts its
// embedded fabric itself with `Fabric.start()`, or with `--address` (FABRIC_ADDRESS) connects to a
// running one with `Fabric.connect()`.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Command } from 'commander'

export function registerRun (program: Command): void {
  program
    .command('run')
    .description('run a driver program (TypeScript or JavaScript) against an embedded fabric, or a running one with --address')
    .argument('<driver>', 'the driver file (.ts, .mts, .js, .mjs)')
    .argument('[args...]', 'arguments for the driver (process.argv after the driver path)')
    .option('--address <multiaddr>', 'a node of a running fabric: sets FABRIC_ADDRESS, which Fabric.connect() uses')
    .allowUnknownOption()
    .action(async (driver: string, args: string[], opts: { address?: string }) => {
      const file = path.resolve(driver)
      if (!fs.existsSync(file)) program.error(`fabric run: no such driver file: ${driver}`)
      if (opts.address !== undefined) process.env.FABRIC_ADDRESS = opts.address
      // The driver sees itself as the script being run, with its own arguments.
      process.argv = [process.argv[0]!, file, ...args]
      await import(pathToFileURL(file).href)
    })
}
