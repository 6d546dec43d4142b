// `fabric init <dir> [--from <spec>]`: writes a starter project (a guest, a driver, package.json,
// tsconfig, README) from templates/starter. The project depends on this package at `^<version>`;
// `--from` puts another npm spec there (a tarball or folder: how the package's own tests install
// the build they just packed).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'

/** The parts of this package's package.json that the CLI uses. */
export interface PackageInfo {
  root: string
  name: string
  version: string
  peerDependencies: Record<string, string>
  devDependencies: Record<string, string>
}

let info: PackageInfo | undefined

/** This package's package.json, found above this module (src/cli/ or dist/src/cli/). */
export function packageInfo (): PackageInfo {
  if (info !== undefined) return info
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir)
    if (up === dir) throw new Error('fabric: cannot find the package.json of the fabric package above ' + fileURLToPath(import.meta.url))
    dir = up
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Omit<PackageInfo, 'root'>
  info = { root: dir, name: pkg.name, version: pkg.version, peerDependencies: pkg.peerDependencies ?? {}, devDependencies: pkg.devDependencies ?? {} }
  return info
}

/** The starter's build-time packages: the guest toolchain and the types a TypeScript driver needs, at the versions the package is tested with (its devDependencies). */
const STARTER_DEV_DEPENDENCIES = ['componentize-qjs', 'typescript', 'tsx', '@types/node']

/** Template file name -> the name it gets in the project (npm drops files named .gitignore from packages). */
const RENAMED: Record<string, string> = { 'package.template.json': 'package.json', gitignore: '.gitignore' }

/** Options of {@link initProject}. */
export interface InitOptions {
  /** The dependency spec for this package. @default `^<version>` */
  from?: string
  /** The project's npm name. @default the folder's name */
  name?: string
}

/** Thrown when `fabric init` would overwrite something, or is given a name npm refuses. */
export class InitError extends Error {
  override name = 'InitError'
}

/**
 * Writes the starter project into `dir` (created if missing; it must be empty) and returns the
 * files written, relative to it.
 *
 * @throws {InitError} when `dir` holds files or the project name is not a valid npm name
 * @example
 * initProject('my-fabric-app') // then: cd my-fabric-app && npm install && npm start
 */
export function initProject (dir: string, options: InitOptions = {}): string[] {
  const pkg = packageInfo()
  const target = path.resolve(dir)
  if (fs.existsSync(target) && fs.readdirSync(target).length > 0) {
    throw new InitError(`${dir} is not empty: give fabric init a new or empty folder`)
  }
  const name = options.name ?? path.basename(target).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '')
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name) || name.length > 214) {
    throw new InitError(`'${name}' is not a valid npm package name: use lowercase letters, digits, '.', '_' and '-' (--name <name>)`)
  }
  const dev: Record<string, string> = {}
  for (const dep of STARTER_DEV_DEPENDENCIES) {
    const version = pkg.devDependencies[dep] ?? pkg.peerDependencies[dep]
    if (version !== undefined) dev[dep] = version
  }
  const fill = (text: string): string => text
    .replaceAll('__PACKAGE__', pkg.name)
    .replaceAll('__NAME__', name)
    .replaceAll('__SPEC__', options.from ?? `^${pkg.version}`)
    .replaceAll('__DEV_DEPENDENCIES__', JSON.stringify(dev, null, 4).replace(/\n}$/, '\n  }'))

  const templates = path.join(pkg.root, 'templates', 'starter')
  const written: string[] = []
  const copy = (rel: string): void => {
    const from = path.join(templates, rel)
    if (fs.statSync(from).isDirectory()) {
      for (const entry of fs.readdirSync(from).sort()) copy(path.join(rel, entry))
      return
    }
    const out = path.join(path.dirname(rel), RENAMED[path.basename(rel)] ?? path.basename(rel))
    fs.mkdirSync(path.dirname(path.join(target, out)), { recursive: true })
    fs.writeFileSync(path.join(target, out), fill(fs.readFileSync(from, 'utf8')))
    written.push(out)
  }
  copy('.')
  return written.map(f => path.normalize(f)).sort()
}

export function registerInit (program: Command): void {
  program
    .command('init')
    .description('write a starter project (a guest, a driver, package.json, tsconfig, README) into a new folder')
    .argument('<dir>', 'the folder to create (must be new or empty)')
    .option('--from <spec>', 'the npm spec the project depends on for this package (a version range, a tarball, a folder)')
    .option('--name <name>', "the project's npm name (default: the folder's name)")
    .action((dir: string, opts: { from?: string, name?: string }) => {
      let files: string[]
      try {
        files = initProject(dir, opts)
      } catch (err) {
        if (err instanceof InitError) program.error(`fabric init: ${err.message}`)
        throw err
      }
      process.stdout.write(`wrote ${files.length} files into ${dir}: ${files.join(', ')}\n\n` +
        `  cd ${dir}\n  npm install   # the fabric package and the guest toolchain\n  npm start     # build src/tasks.ts, run src/driver.ts\n`)
    })
}
