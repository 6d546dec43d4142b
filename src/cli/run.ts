// `fabric run <driver.ts|.js> [args...]`: run a driver program. TypeScript runs as is (the fabric
// command has the TypeScript loader registered); the driver starts its embedded fabric itself with
// `Fabric.start()`.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Command } from 'commander'

export function registerRun (program: Command): void {
  program
    .command('run')
    .description('run a driver program (TypeScript or JavaScript) against an embedded fabric')
    .argument('<driver>', 'the driver file (.ts, .mts, .js, .mjs)')
    .argument('[args...]', 'arguments for the driver (process.argv after the driver path)')
    .allowUnknownOption()
    .action(async (driver: string, args: string[]) => {
      const file = path.resolve(driver)
      if (!fs.existsSync(file)) program.error(`fabric run: no such driver file: ${driver}`)
      // The driver sees itself as the script being run, with its own arguments.
      process.argv = [process.argv[0]!, file, ...args]
      await import(pathToFileURL(file).href)
    })
}
