// Jazzer.js's native fuzzer (libFuzzer in a Node addon) as a loadable file. Its prebuilt Linux
// addon (@jazzer.js/fuzzer 4.0.0) was linked against glibc 2.38 and GCC 13's libstdc++, newer than
// Debian 12's (glibc 2.36, GCC 12), where dlopen fails on four symbol versions. `addonPath()` returns
// the prebuilt when it loads, else a copy in .cache/fuzz/jazzer/ whose ELF asks only for versions
// every glibc has: C23's `__isoc23_strtol`/`__isoc23_strtoul` are renamed to their C99 namesakes
// (same behaviour but for "0b" prefixes, which libFuzzer's flag parsing never sees) and
// `std::ios_base_library_init` (a reference no relocation uses) is left unversioned.
//
// Required with `node --require` and FUZZ_JAZZER_ADDON set, this file redirects the addon's dlopen
// to that path, so node_modules is never modified.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const crypto = require('node:crypto')
const { spawnSync } = require('node:child_process')

const PREBUILT_NAME = `fuzzer-${process.platform}-${process.arch}.node`

if (process.env.FUZZ_JAZZER_ADDON !== undefined && process.env.FUZZ_JAZZER_ADDON !== '') {
  const target = process.env.FUZZ_JAZZER_ADDON
  const dlopen = process.dlopen
  process.dlopen = function (module, filename, ...rest) {
    return dlopen.call(this, module, path.basename(filename) === PREBUILT_NAME ? target : filename, ...rest)
  }
}

/** The prebuilt addon that @jazzer.js/fuzzer ships for this platform. */
function prebuiltPath (root) {
  const pkg = require.resolve('@jazzer.js/fuzzer/package.json', { paths: [root] })
  return path.join(path.dirname(pkg), 'prebuilds', PREBUILT_NAME)
}

/** Why `file` does not load in a fresh Node process, or undefined when it does. */
function loadError (file) {
  const r = spawnSync(process.execPath, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(file)})`], { encoding: 'utf8' })
  if (r.status === 0) return undefined
  const line = (r.stderr || '').split('\n').find((l) => /Error|version|not found/.test(l))
  return (line || r.stderr || `exit ${r.status}`).trim()
}

/**
 * A path of the fuzzer addon that loads here: the prebuilt, or a patched copy under `cacheDir`.
 * @throws {Error} when neither loads, with the loader's reason.
 */
function addonPath (root, cacheDir) {
  const prebuilt = prebuiltPath(root)
  const why = loadError(prebuilt)
  if (why === undefined) return prebuilt
  if (process.platform !== 'linux' || !/GLIBC/.test(why)) throw new Error(`the Jazzer.js fuzzer addon does not load: ${why}`)
  const bytes = fs.readFileSync(prebuilt)
  const digest = crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16)
  const patched = path.join(cacheDir, `${digest}-${PREBUILT_NAME}`)
  if (!fs.existsSync(patched)) {
    fs.mkdirSync(cacheDir, { recursive: true })
    const tmp = `${patched}.${process.pid}.tmp`
    fs.writeFileSync(tmp, patchElf(bytes))
    fs.renameSync(tmp, patched)
  }
  const still = loadError(patched)
  if (still !== undefined) throw new Error(`the Jazzer.js fuzzer addon needs a newer C library (${why}), and the patched copy ${patched} does not load either: ${still}`)
  return patched
}

/** Symbol versions this C library and libstdc++ lack, and an older version of the same library to ask for instead. */
const OLDER_VERSION = { 'GLIBC_2.38': 'GLIBC_2.2.5', 'GLIBCXX_3.4.32': 'GLIBCXX_3.4' }
/** C23 names whose C99 namesake is their own name without the prefix. */
const C23_PREFIX = '__isoc23_'

/** A copy of a 64-bit little-endian ELF shared object that asks only for older symbol versions (see the file's head). */
function patchElf (input) {
  const buf = Buffer.from(input)
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) throw new Error('the fuzzer addon is not a 64-bit little-endian ELF file')
  const u16 = (o) => dv.getUint16(o, true)
  const u32 = (o) => dv.getUint32(o, true)
  const u64 = (o) => Number(dv.getBigUint64(o, true))
  const shoff = u64(0x28)
  const sections = []
  for (let i = 0; i < u16(0x3c); i++) {
    const at = shoff + i * u16(0x3a)
    sections.push({ type: u32(at + 4), offset: u64(at + 0x18), size: u64(at + 0x20), link: u32(at + 0x28) })
  }
  const dynsym = sections.find((s) => s.type === 11) // SHT_DYNSYM
  const verneed = sections.find((s) => s.type === 0x6ffffffe) // SHT_GNU_verneed
  if (dynsym === undefined || verneed === undefined) throw new Error('the fuzzer addon has no dynamic symbols or version needs')
  const strtab = sections[dynsym.link]
  const str = (off) => {
    const start = strtab.offset + off
    return buf.toString('latin1', start, buf.indexOf(0, start))
  }
  let renamed = 0
  for (let at = dynsym.offset; at < dynsym.offset + dynsym.size; at += 24) {
    const name = str(u32(at))
    if (name.startsWith(C23_PREFIX)) {
      dv.setUint32(at, u32(at) + C23_PREFIX.length, true) // the same string, past the prefix
      renamed++
    }
  }
  const needs = []
  for (let vn = verneed.offset; ; vn += u32(vn + 12)) {
    const file = str(u32(vn + 4))
    for (let i = 0, aux = vn + u32(vn + 8); i < u16(vn + 2); i++, aux += u32(aux + 12)) needs.push({ at: aux, file, name: str(u32(aux + 8)), nameOffset: u32(aux + 8), hash: u32(aux) })
    if (u32(vn + 12) === 0) break
  }
  let retargeted = 0
  for (const need of needs) {
    const older = OLDER_VERSION[need.name]
    if (older === undefined) continue
    const to = needs.find((n) => n.file === need.file && n.name === older)
    if (to === undefined) throw new Error(`the fuzzer addon needs ${need.name} of ${need.file} but not ${older}: cannot patch it`)
    dv.setUint32(need.at, to.hash, true) // vna_hash
    dv.setUint32(need.at + 8, to.nameOffset, true) // vna_name
    retargeted++
  }
  if (renamed === 0 && retargeted === 0) throw new Error('the fuzzer addon has none of the symbol versions this patch knows')
  return buf
}

module.exports = { addonPath, patchElf, prebuiltPath }
