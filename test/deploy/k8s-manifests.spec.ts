// The Kubernetes manifests (deploy/k8s/), checked offline: every object against the Kubernetes
// OpenAPI schemas (test/deploy/k8s-schema.ts), then what makes them a fabric: pod 0 is the
// bootstrap through the headless Service's DNS name, the PeerId's key in a volume per pod, the
// swarm key from a Secret file, probes through `fabric status`, resource limits as --cpus/--memory-mb.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { REPO } from '../helpers/fixtures.js'
import { loadManifests, parseYaml, schemaErrors, type Manifest } from './k8s-schema.js'

const K8S = path.join(REPO, 'deploy', 'k8s')

type Obj = Record<string, any>

function one (all: Manifest[], kind: string): Obj {
  const found = all.filter(m => m.kind === kind)
  assert.equal(found.length, 1, `one ${kind}`)
  return found[0]! as Obj
}

/** The fabric-specific checks of the StatefulSet and its Service; a list of what is wrong. */
function fabricProblems (sts: Obj, svc: Obj, secretName: string): string[] {
  const bad: string[] = []
  const spec = sts.spec ?? {}
  const pod = spec.template?.spec ?? {}
  const c: Obj = (pod.containers ?? []).find((x: Obj) => x.name === 'fabric') ?? {}
  const env = new Map<string, Obj>((c.env ?? []).map((e: Obj) => [e.name, e]))
  const port = (c.ports ?? []).find((p: Obj) => p.name === 'p2p')?.containerPort
  const check = (ok: boolean, what: string): void => { if (!ok) bad.push(what) }

  check(spec.serviceName === svc.metadata?.name, `serviceName ${String(spec.serviceName)} is not the Service ${String(svc.metadata?.name)}`)
  check(svc.spec?.clusterIP === 'None', 'the Service is not headless (clusterIP: None)')
  check(svc.spec?.publishNotReadyAddresses === true, 'pod 0 must resolve before it is ready (publishNotReadyAddresses)')
  const labels = spec.template?.metadata?.labels ?? {}
  for (const sel of [spec.selector?.matchLabels ?? {}, svc.spec?.selector ?? {}]) {
    check(Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v), `selector ${JSON.stringify(sel)} does not match the pod labels`)
  }
  check(svc.spec?.ports?.some((p: Obj) => p.port === port && (p.targetPort === 'p2p' || p.targetPort === port)), 'the Service does not forward the p2p port')
  // Bootstrap: pod 0 by its stable name, on the port the nodes listen on; pod 0 itself skips it.
  const boot = String(env.get('FABRIC_BOOTSTRAP')?.value ?? '')
  check(new RegExp(`^/dns4/${String(sts.metadata?.name)}-0\\.${String(spec.serviceName)}\\.\\$\\(POD_NAMESPACE\\)\\.svc\\.cluster\\.local/tcp/${String(port)}$`).test(boot), `FABRIC_BOOTSTRAP ${boot}: not pod 0 of the Service on the p2p port`)
  check(env.get('POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace', 'POD_NAMESPACE from the downward API')
  check(env.get('FABRIC_BOOTSTRAP_SKIP_HOST')?.value === `${String(sts.metadata?.name)}-0`, 'pod 0 must not bootstrap through itself')
  check(env.get('FABRIC_PORT')?.value === String(port), 'FABRIC_PORT is the container port')
  // Stable PeerId: the data dir (identity.key) on a volume claimed per pod.
  const dataDir = env.get('FABRIC_DATA')?.value
  const claims: string[] = (spec.volumeClaimTemplates ?? []).map((v: Obj) => v.metadata?.name)
  check(dataDir !== undefined && (c.volumeMounts ?? []).some((m: Obj) => m.mountPath === dataDir && claims.includes(m.name)), 'FABRIC_DATA is not on a volumeClaimTemplate')
  // The swarm key: a file from the Secret.
  const keyFile = String(env.get('FABRIC_SECRET_FILE')?.value ?? '')
  const keyMount = (c.volumeMounts ?? []).find((m: Obj) => m.mountPath === path.posix.dirname(keyFile))
  const keyVol = (pod.volumes ?? []).find((v: Obj) => v.name === keyMount?.name)
  check(keyMount?.readOnly === true && keyVol?.secret?.secretName === secretName && keyVol.secret.items?.some((i: Obj) => i.path === path.posix.basename(keyFile)), `FABRIC_SECRET_FILE ${keyFile} is not the Secret ${secretName}, mounted read-only`)
  // Resources: the container's limits, through the downward API.
  const rf = (name: string): Obj | undefined => env.get(name)?.valueFrom?.resourceFieldRef
  check(rf('FABRIC_CPUS')?.resource === 'limits.cpu' && rf('FABRIC_CPUS')?.containerName === c.name, 'FABRIC_CPUS from limits.cpu')
  check(rf('FABRIC_MEMORY_MB')?.resource === 'limits.memory' && rf('FABRIC_MEMORY_MB')?.divisor === '1Mi', 'FABRIC_MEMORY_MB from limits.memory in Mi')
  check(env.has('FABRIC_GPUS'), 'FABRIC_GPUS set (the downward API has no GPUs)')
  check(c.resources?.limits?.cpu !== undefined && c.resources?.limits?.memory !== undefined, 'cpu and memory limits')
  // Probes: `fabric status` against the pod's own node.
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    check(JSON.stringify(c[probe]?.exec?.command) === '["fabric-entrypoint","status"]', `${probe} runs fabric status`)
    check((c[probe]?.timeoutSeconds ?? 1) >= 5, `${probe}: a node process needs seconds to ask (timeoutSeconds)`)
  }
  check(pod.securityContext?.runAsNonRoot === true && c.securityContext?.allowPrivilegeEscalation === false, 'non-root, no privilege escalation')
  return bad
}

describe('deploy: Kubernetes manifests (offline, against the Kubernetes OpenAPI schemas)', function () {
  this.timeout(30_000)
  const manifests = loadManifests(K8S)
  const all = manifests.map(m => m.obj)
  const kustomization = parseYaml(fs.readFileSync(path.join(K8S, 'kustomization.yaml'), 'utf8'), 'kustomization.yaml')[0] as Obj

  it('every manifest is valid against its apiVersion/kind schema', async function () {
    assert.deepEqual(all.map(m => m.kind).sort(), ['Secret', 'Service', 'StatefulSet'])
    for (const { file, obj } of manifests) assert.deepEqual(await schemaErrors(obj), [], `${file}: ${obj.kind} ${String(obj.metadata?.name)}`)
  })

  it('refuses broken manifests (negative cases)', async function () {
    const sts = one(all, 'StatefulSet')
    const broken = (edit: (x: Obj) => void): Obj => { const x = structuredClone(sts); edit(x); return x }
    assert.match((await schemaErrors(broken(x => { x.spec.replicas = 'three' }))).join(), /replicas must be integer/)
    assert.match((await schemaErrors(broken(x => { delete x.spec.template.spec.containers }))).join(), /containers/)
    assert.match((await schemaErrors(broken(x => { x.spec.template.spec.containers[0].ports[0].containerPort = '7400' }))).join(), /containerPort must be integer/)
    assert.match((await schemaErrors(broken(x => { delete x.spec.selector }))).join(), /selector/)
    assert.match((await schemaErrors({ ...sts, apiVersion: 'apps/v1beta9' })).join(), /no schema/)
    assert.throws(() => parseYaml('a: 1\n  b: 2\n', 'bad.yaml'), /bad\.yaml/)
    assert.throws(() => parseYaml('a: 1\na: 2\n', 'dup.yaml'), /dup\.yaml/)
    const svc = one(all, 'Service')
    assert.match(fabricProblems(broken(x => { x.spec.serviceName = 'other' }), svc, 'fabric-swarm-key').join(), /serviceName other/)
    assert.match(fabricProblems(broken(x => { x.spec.template.spec.containers[0].env = x.spec.template.spec.containers[0].env.filter((e: Obj) => e.name !== 'FABRIC_CPUS') }), svc, 'fabric-swarm-key').join(), /FABRIC_CPUS/)
    assert.match(fabricProblems(sts, { ...svc, spec: { ...svc.spec, clusterIP: '10.0.0.1' } }, 'fabric-swarm-key').join(), /headless/)
  })

  it('a StatefulSet of fabric join pods: pod 0 bootstraps the others through the headless Service, stable PeerIds, secret file, probes via fabric status', function () {
    const sts = one(all, 'StatefulSet')
    const secretName = (kustomization.secretGenerator as Obj[])[0]!.name as string
    assert.deepEqual(fabricProblems(sts, one(all, 'Service'), secretName), [])
    assert.equal(one(all, 'Secret').metadata.name, secretName, 'the example Secret has the name the pods mount')
    assert.deepEqual(sts.spec.template.spec.containers[0].args, ['join'])
    // The port and user of the image (deploy/Dockerfile: EXPOSE 7400, USER node = uid 1000).
    assert.equal(sts.spec.template.spec.containers[0].ports[0].containerPort, 7400)
    assert.equal(sts.spec.template.spec.securityContext.runAsUser, 1000)
  })

  it('the example Secret is marked as one and cannot be used as is', function () {
    const text = fs.readFileSync(path.join(K8S, 'secret.example.yaml'), 'utf8')
    assert.match(text, /EXAMPLE ONLY/)
    assert.match(text, /fabric keygen/)
    const key = String(one(all, 'Secret').stringData['swarm.key'])
    assert.match(key, /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n/)
    assert.doesNotMatch(key, /\n[0-9a-f]{64}\n?$/, 'no usable key in the repository')
  })

  it('kustomization.yaml lists every manifest but the example, and makes the Secret from a key file kept out of git', function () {
    assert.equal(kustomization.apiVersion, 'kustomize.config.k8s.io/v1beta1')
    assert.equal(kustomization.kind, 'Kustomization')
    const resources = kustomization.resources as string[]
    for (const r of resources) assert.ok(fs.existsSync(path.join(K8S, r)), `${r} missing`)
    assert.deepEqual([...new Set(manifests.map(m => m.file))].filter(f => !resources.includes(f)), ['secret.example.yaml'])
    const gen = (kustomization.secretGenerator as Obj[])[0]!
    assert.deepEqual(gen.files, ['swarm.key'])
    assert.match(fs.readFileSync(path.join(K8S, '.gitignore'), 'utf8'), /^swarm\.key$/m)
    const image = one(all, 'StatefulSet').spec.template.spec.containers[0].image as string
    assert.ok((kustomization.images as Obj[]).some(i => i.name === image.split(':')[0]), 'images: names the StatefulSet\'s image')
  })
})
