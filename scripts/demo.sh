#!/usr/bin/env bash
# tandem's main job on this machine (as root): three nodes in network namespaces, each with
# an etcd member and a tandem daemon; the guide's API VIP with a service behind it; a
# failover drill that powers off the active node, one that cuts its network, each with the
# downtime a client saw; the nodes come back; everything is cleaned up.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh >/dev/null
node dist/src/cli/main.js lab --nodes 3 --drills 2 --fault both
