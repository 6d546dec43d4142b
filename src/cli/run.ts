// `fabric run [--address <multiaddr>] <driver.ts|.js> [args...]`: run a driver program. TypeScript
// runs as is: through tsx, registered here when the CLI itself runs as JavaScript (installed; in a
// checkout bin/fabric.js has registered it already). tsx is optional for an installed package, so
// a .ts driver without it gets an error naming what to install. The driver starts its
// embedded fabric itself with `Fabric.start()`, or with `--address` (FABRIC_ADDRESS) connects to a
// running one with `Fabric.connect()`.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Command } from 'commander'

async function registerTypeScript (program: Command, driver: string): Promise<void> {
  let api: { register: () => unknown }
  try {
    api = await import('tsx/esm/api')
  } catch {
    program.error(`fabric run: ${driver} is TypeScript, which needs tsx: npm install --save-dev tsx@4.23.15 ` +
      '(or compile the driver to JavaScript and run it with node)')
  }
  api.register()
}

export function registerRun (program: Command): void {
  program
    .command('run')
    .description('run a driver program (TypeScript or JavaScript) against an embedded fabric, or a running one with --address')
    .argument('<driver>', 'the driver file (.ts, .mts, .js, .mjs)')
    .argument('[args...]', 'arguments for the driver (process.argv after the driver path)')
    .option('--address <multiaddr>', 'a node of a running fabric: sets FABRIC_ADDRESS, so the driver\'s Fabric.start() (and Fabric.connect()) connects there')
    .allowUnknownOption()
    .action(async (driver: string, args: string[], opts: { address?: string }) => {
      const file = path.resolve(driver)
      if (!fs.existsSync(file)) program.error(`fabric run: no such driver file: ${driver}`)
      if (opts.address !== undefined) process.env.FABRIC_ADDRESS = opts.address
      // The driver sees itself as the script being run, with its own arguments.
      process.argv = [process.argv[0]!, file, ...args]
      if (/\.[mc]?tsx?$/.test(file) && !import.meta.url.endsWith('.ts')) await registerTypeScript(program, driver)
      await import(pathToFileURL(file).href)
    })
}
