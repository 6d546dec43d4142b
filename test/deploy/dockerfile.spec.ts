// The container recipe (deploy/Dockerfile, deploy/entrypoint.sh, deploy/.dockerignore), checked
// statically: no Docker engine runs in CI. The Dockerfile is parsed with dockerfile-ast (the parser
// of the Dockerfile language server) and its key properties asserted; the entrypoint is run with a
// stub `fabric` that prints the arguments it gets.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import dockerfileAst, { type Instruction } from 'dockerfile-ast'
import { REPO, tempDir } from '../helpers/fixtures.js'

const DEPLOY = path.join(REPO, 'deploy')
const text = fs.readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8')
const dockerfile = dockerfileAst.DockerfileParser.parse(text)

/** The instructions of each stage, in order (a stage starts at its FROM). */
function stages (): Array<{ name: string | null, image: string, body: Instruction[] }> {
  const out: Array<{ name: string | null, image: string, body: Instruction[] }> = []
  for (const i of dockerfile.getInstructions()) {
    if (i.getKeyword() === 'FROM') {
      const from = dockerfile.getFROMs().find(f => f.getRange().start.line === i.getRange().start.line)!
      out.push({ name: from.getBuildStage(), image: from.getImage() ?? '', body: [] })
    } else if (out.length > 0) out.at(-1)!.body.push(i)
  }
  return out
}

/** An image reference with `${ARG}`s replaced by the defaults of the ARGs before the first FROM. */
function resolveImage (image: string): string {
  const args = new Map(dockerfile.getInitialARGs().map(a => [a.getProperty()!.getName(), a.getProperty()!.getValue() ?? '']))
  return image.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => args.get(name) ?? `<unset ${name}>`)
}

const lines = text.split('\n')
/** Everything after the keyword, flags included (--from, --chown, --interval), continuation lines joined. */
function args (i: Instruction): string {
  const r = i.getRange()
  return lines.slice(r.start.line, r.end.line + 1).join('\n').trim().replace(/^\S+\s+/, '').replace(/\\\n/g, ' ')
}
const of = (body: Instruction[], keyword: string): Instruction[] => body.filter(i => i.getKeyword() === keyword)

describe('deploy: Dockerfile (parsed with dockerfile-ast)', function () {
  const all = stages()
  const final = all.at(-1)!
  const build = all.find(s => s.name === 'build')

  it('parses: known instructions only, every stage from a pinned node:20 bookworm-slim image', function () {
    const known = new Set(['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'])
    for (const i of dockerfile.getInstructions()) assert.ok(known.has(i.getKeyword()), `line ${i.getRange().start.line + 1}: unknown instruction ${i.getKeyword()}`)
    assert.ok(all.length >= 2, 'a build stage and a runtime stage')
    const names = new Set(all.map(s => s.name).filter(n => n !== null))
    for (const s of all) {
      const image = resolveImage(s.image)
      if (names.has(image)) continue
      // Pinned: a full version (not `node:20`, `lts` or `latest`), optionally with a digest.
      assert.match(image, /^node:20\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/, `stage ${s.name ?? '(final)'}: base image ${image}`)
    }
  })

  it('builds in a stage with the compiler; the runtime stage has none and takes what it needs from there', function () {
    assert.ok(build !== undefined, 'a stage named build')
    const buildRuns = of(build.body, 'RUN').map(args).join('\n')
    assert.match(buildRuns, /apt-get install[^\n]*\bg\+\+/, 'the build stage installs g++ (node-gyp builds the GPU addon at install)')
    assert.match(buildRuns, /npm ci(?![^\n]*--omit=dev)/, 'the build stage runs a full npm ci (tsc builds dist/, node-gyp the addon)')
    assert.match(buildRuns, /-march=native/, 'the addon is not built for the build machine\'s CPU alone')
    const finalRuns = of(final.body, 'RUN').map(args).join('\n')
    assert.doesNotMatch(finalRuns, /\b(g\+\+|gcc|make|python3|build-essential)\b/, 'no compiler in the runtime image')
    const copies = of(final.body, 'COPY').map(args)
    assert.ok(copies.some(c => /--from=build\b.*\/node_modules\s/.test(c)), 'node_modules from the build stage')
    assert.ok(copies.some(c => /--from=build\b.*\/dist\s/.test(c)), 'dist/ from the build stage')
    for (const c of copies) {
      const from = /--from=(\S+)/.exec(c)?.[1]
      if (from !== undefined) assert.ok(all.some(s => s.name === from), `COPY --from=${from}: no such stage`)
    }
  })

  it('installs the production dependencies with npm ci --omit=dev (no install scripts: the addon is built above)', function () {
    const runs = all.flatMap(s => of(s.body, 'RUN').map(args))
    assert.ok(runs.some(r => /npm ci\b[^\n]*--omit=dev/.test(r)), runs.join('\n'))
    assert.ok(runs.some(r => /npm ci\b[^\n]*--omit=dev[^\n]*--ignore-scripts/.test(r)), 'the root package\'s install/prepare scripts need dev dependencies')
  })

  it('runs as a non-root user, exposes the fabric port, and checks health with fabric status', function () {
    const users = of(final.body, 'USER').map(args)
    assert.ok(users.length > 0, 'the runtime stage sets USER')
    assert.ok(!['root', '0', '0:0'].includes(users.at(-1)!.trim()), `USER ${users.at(-1)!}`)
    const exposed = of(final.body, 'EXPOSE').map(args).join(' ')
    assert.match(exposed, /\b7400(\/tcp)?\b/)
    assert.match(of(final.body, 'ENV').map(args).join(' '), /FABRIC_PORT=7400\b/, 'the entrypoint\'s port is the exposed one')
    const health = dockerfile.getHEALTHCHECKs()
    assert.equal(health.length, 1)
    const hc = args(health[0]!)
    assert.match(hc, /CMD\s+\[?"?fabric-entrypoint"?,?\s*"?status"?/, hc)
    assert.match(hc, /--timeout=\d+s/)
    assert.match(of(final.body, 'ENTRYPOINT').map(args).join(''), /fabric-entrypoint/)
    assert.match(of(final.body, 'COPY').map(args).join('\n'), /deploy\/entrypoint\.sh\s+\/usr\/local\/bin\/fabric-entrypoint/)
    assert.match(of(final.body, 'VOLUME').map(args).join(''), /\/data/, 'the identity key lives in a volume')
  })

  it('copies from the build context only what exists and .dockerignore does not exclude', function () {
    const ignore = fs.readFileSync(path.join(DEPLOY, '.dockerignore'), 'utf8')
    // BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile first: both say the same.
    assert.equal(fs.readFileSync(path.join(DEPLOY, 'Dockerfile.dockerignore'), 'utf8'), ignore)
    const patterns = ignore.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
    for (const p of ['**/node_modules', 'dist', 'build', '.git', '**/*.key']) assert.ok(patterns.includes(p), `.dockerignore lacks ${p}`)
    for (const s of all) {
      for (const c of of(s.body, 'COPY').map(args)) {
        if (c.includes('--from=')) continue
        const parts = c.split(/\s+/).filter(p => !p.startsWith('--'))
        for (const src of parts.slice(0, -1)) {
          assert.ok(fs.existsSync(path.join(REPO, src)), `COPY ${src}: not in the repository`)
          assert.ok(!patterns.includes(src.split('/')[0]!), `COPY ${src}: excluded by .dockerignore`)
        }
      }
    }
  })
})

describe('deploy: entrypoint.sh (with a stub fabric)', function () {
  let tmp: ReturnType<typeof tempDir>
  before(function () {
    tmp = tempDir('fabric-entrypoint-')
    fs.writeFileSync(path.join(tmp.dir, 'fabric'), '#!/bin/sh\nprintf "%s\\n" "$@"\n', { mode: 0o755 })
    fs.writeFileSync(path.join(tmp.dir, 'swarm.key'), 'x', { mode: 0o600 })
  })
  after(() => tmp.remove())

  function entry (argv: string[], env: Record<string, string>): string[] {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FABRIC_')))
    const out = execFileSync('sh', [path.join(DEPLOY, 'entrypoint.sh'), ...argv], { env: { ...clean, PATH: `${tmp.dir}:${process.env.PATH ?? ''}`, HOSTNAME: 'fabric-1', FABRIC_SECRET_FILE: path.join(tmp.dir, 'swarm.key'), ...env }, encoding: 'utf8' })
    return out.split('\n').filter(l => l !== '')
  }

  it('join: flags from the environment; the secret when its file exists; bootstrap except on the bootstrap host', function () {
    const argv = entry([], { FABRIC_BOOTSTRAP: '/dns4/fabric-0.fabric.ns.svc.cluster.local/tcp/7400,/ip4/10.0.0.9/tcp/7400', FABRIC_BOOTSTRAP_SKIP_HOST: 'fabric-0', FABRIC_CPUS: '2', FABRIC_MEMORY_MB: '4096', FABRIC_GPUS: '0', FABRIC_LABELS: 'k8s-node=a', FABRIC_JOIN_ARGS: '--heartbeat-ms 500' })
    assert.deepEqual(argv, ['join', '--listen', '/ip4/0.0.0.0/tcp/7400', '--secret', path.join(tmp.dir, 'swarm.key'),
      '--bootstrap', '/dns4/fabric-0.fabric.ns.svc.cluster.local/tcp/7400', '--bootstrap', '/ip4/10.0.0.9/tcp/7400',
      '--cpus', '2', '--memory-mb', '4096', '--gpus', '0', '--labels', 'k8s-node=a', '--heartbeat-ms', '500'])
    const first = entry(['join', '--name', 'x'], { HOSTNAME: 'fabric-0', FABRIC_BOOTSTRAP: '/dns4/fabric-0.fabric/tcp/7400', FABRIC_BOOTSTRAP_SKIP_HOST: 'fabric-0', FABRIC_SECRET_FILE: path.join(tmp.dir, 'none.key'), FABRIC_PORT: '7500' })
    assert.deepEqual(first, ['join', '--name', 'x', '--listen', '/ip4/0.0.0.0/tcp/7500'])
  })

  it('status: asks this container\'s node on loopback, with the secret', function () {
    assert.deepEqual(entry(['status'], {}), ['status', '--address', '/ip4/127.0.0.1/tcp/7400', '--timeout-ms', '5000', '--secret', path.join(tmp.dir, 'swarm.key')])
    assert.deepEqual(entry(['keygen', '/tmp/k'], {}), ['keygen', '/tmp/k'])
  })

  it('is a POSIX sh script (sh -n)', function () {
    execFileSync('sh', ['-n', path.join(DEPLOY, 'entrypoint.sh')])
    assert.ok((fs.statSync(path.join(DEPLOY, 'entrypoint.sh')).mode & 0o111) !== 0 || os.platform() === 'win32', 'executable bit')
  })
})
