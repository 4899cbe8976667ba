#!/usr/bin/env bash
# tandem's main job on this machine (as root): three nodes in network namespaces, made by
# tandem cluster init and join (each tandem runs its etcd member); the guide's API VIP with
# a service behind it; a failover drill that powers off the active node (it comes back by
# tandem cluster start), one that cuts its network, each with the downtime a client saw;
# everything is cleaned up.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh >/dev/null
node dist/src/cli/main.js lab --nodes 3 --drills 2 --fault both
