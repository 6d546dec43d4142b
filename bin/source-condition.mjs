// A module resolve hook (registered by bin/fabric.js in a checkout of the repository): adds the
// 'wasm-fabric-source' export condition, so `import ... from 'wasm-fabric'` (a package self-reference)
// loads src/ instead of the built dist/. The same as `node --conditions=wasm-fabric-source`, which
// cannot be set from inside a running process.
export async function resolve (specifier, context, next) {
  const conditions = context.conditions.includes('wasm-fabric-source') ? context.conditions : [...context.conditions, 'wasm-fabric-source']
  return next(specifier, { ...context, conditions })
}
