#!/usr/bin/env bash
# The guide's configuration through the scheduler: simulate the OpenStack HA guide's cluster, as crm_simulate
# would, then a failover of node1, with the reasons explained.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tandem() { node dist/src/cli/main.js "$@"; }
seed=examples/seed/openstack.crm

echo "=== 1. The guide's configuration as it is: fencing is on, but no fencing device is defined ==="
tandem simulate "$seed" | sed -n '/^warning: Resource/p;/^Transition Summary/,/^$/p'

echo "=== 2. The same with stonith-enabled=false (the guide's two nodes have no fencing device): both nodes come up ==="
{ cat "$seed"; echo 'property stonith-enabled=false'; } >"$work/cluster.crm"
tandem simulate "$work/cluster.crm" --save-output "$work/running.xml" 2>/dev/null | grep -v '^warning: .*continuation line'

echo
echo "=== 3. node1 goes down: the API services fail over to node2 ==="
tandem simulate "$work/running.xml" --node-down node1 | sed -n '/^Transition Summary/,/^$/p'

echo "=== 4. Why p_api-ip goes to node2 ==="
tandem simulate "$work/running.xml" --node-down node1 --explain p_api-ip | sed -n '/^Explanation/,/^$/p'
