#!/bin/sh
# The container's entrypoint (deploy/Dockerfile): `fabric join` with flags from the environment, or
# `status` (the health check and the Kubernetes probes) against this container's own node.
# Anything after the command is passed on as is (`docker run IMAGE join --labels zone=a`).
#
#   FABRIC_PORT          TCP port (7400)
#   FABRIC_LISTEN        listen multiaddrs, space-separated (/ip4/0.0.0.0/tcp/$FABRIC_PORT)
#   FABRIC_SECRET_FILE   swarm key file (`fabric keygen`); used when the file exists (/etc/fabric/swarm.key)
#   FABRIC_BOOTSTRAP     multiaddrs to join through, space- or comma-separated (none: a new fabric)
#   FABRIC_BOOTSTRAP_SKIP_HOST  a hostname that must not bootstrap (the first pod of a StatefulSet)
#   FABRIC_CPUS, FABRIC_MEMORY_MB, FABRIC_GPUS, FABRIC_RESOURCES, FABRIC_LABELS, FABRIC_NAME,
#   FABRIC_GPU_MODEL, FABRIC_ALLOW_FILE    the `fabric join` options of those names
#   FABRIC_DATA          data dir: identity.key (stable PeerId) and the component cache (/data)
#   FABRIC_JOIN_ARGS     more `fabric join` arguments, space-separated
#   FABRIC_STATUS_TIMEOUT_MS  how long `status` waits for the node (5000)
set -eu

cmd="${1:-join}"
[ $# -gt 0 ] && shift
port="${FABRIC_PORT:-7400}"
secret="${FABRIC_SECRET_FILE:-/etc/fabric/swarm.key}"

case "$cmd" in
  join)
    set -- join "$@"
    for a in ${FABRIC_LISTEN:-/ip4/0.0.0.0/tcp/$port}; do set -- "$@" --listen "$a"; done
    if [ -f "$secret" ]; then set -- "$@" --secret "$secret"; fi
    if [ -n "${FABRIC_BOOTSTRAP:-}" ] && [ "${HOSTNAME:-$(hostname)}" != "${FABRIC_BOOTSTRAP_SKIP_HOST:-}" ]; then
      for a in $(echo "$FABRIC_BOOTSTRAP" | tr ',' ' '); do set -- "$@" --bootstrap "$a"; done
    fi
    [ -n "${FABRIC_CPUS:-}" ] && set -- "$@" --cpus "$FABRIC_CPUS"
    [ -n "${FABRIC_MEMORY_MB:-}" ] && set -- "$@" --memory-mb "$FABRIC_MEMORY_MB"
    [ -n "${FABRIC_GPUS:-}" ] && set -- "$@" --gpus "$FABRIC_GPUS"
    [ -n "${FABRIC_GPU_MODEL:-}" ] && set -- "$@" --gpu-model "$FABRIC_GPU_MODEL"
    [ -n "${FABRIC_RESOURCES:-}" ] && set -- "$@" --resources "$FABRIC_RESOURCES"
    [ -n "${FABRIC_LABELS:-}" ] && set -- "$@" --labels "$FABRIC_LABELS"
    [ -n "${FABRIC_NAME:-}" ] && set -- "$@" --name "$FABRIC_NAME"
    [ -n "${FABRIC_ALLOW_FILE:-}" ] && set -- "$@" --allow "$FABRIC_ALLOW_FILE"
    # shellcheck disable=SC2086 # split on purpose
    set -- "$@" ${FABRIC_JOIN_ARGS:-}
    ;;
  status)
    set -- status --address "/ip4/127.0.0.1/tcp/$port" --timeout-ms "${FABRIC_STATUS_TIMEOUT_MS:-5000}" "$@"
    if [ -f "$secret" ]; then set -- "$@" --secret "$secret"; fi
    ;;
  *)
    set -- "$cmd" "$@"
    ;;
esac
# exec: the node is the container's main process, so SIGTERM reaches it (it leaves the fabric, exits 0).
exec fabric "$@"
