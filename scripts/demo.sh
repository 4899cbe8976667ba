#!/usr/bin/env bash
# tandem's main job for now: simulate the OpenStack HA guide's cluster configuration, as
# crm_simulate would, from all nodes up and again after node1 goes down.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
config=examples/seed/openstack.crm
echo "=== tandem simulate $config (all nodes up) ==="
node dist/src/cli/main.js simulate "$config" --save-output /tmp/tandem-demo-started.xml
echo
echo "=== node1 goes down ==="
node dist/src/cli/main.js simulate /tmp/tandem-demo-started.xml --node-down node1
echo
echo "=== why does g_mysql go where it goes? ==="
node dist/src/cli/main.js simulate /tmp/tandem-demo-started.xml --node-down node1 --explain p_ip_mysql | sed -n '/^Explanation/,/^Revised/p' | sed '$d'
