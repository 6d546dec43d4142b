#!/bin/sh
# Prints the CUDA toolkit's root for binding.gyp: $CUDA_HOME, else where nvcc says it lives (nvcc
# may be a wrapper script, so its own path proves nothing).
if [ -n "$CUDA_HOME" ]; then echo "$CUDA_HOME"; exit 0; fi
tmp=$(mktemp -d)
: > "$tmp/probe.cu"
top=$(nvcc -dryrun -c "$tmp/probe.cu" -o "$tmp/probe.o" 2>&1 | sed -n 's/^#\$ TOP=//p' | head -1)
rm -rf "$tmp"
if [ -n "$top" ]; then (cd "$top" 2>/dev/null && pwd) || echo /usr/local/cuda; else echo /usr/local/cuda; fi
