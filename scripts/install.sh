#!/usr/bin/env bash
# Installs what tandem needs on a fresh Debian machine: Debian packages (etcd, the store of
# a cluster; HAProxy, the reference for the balancer's configuration; iproute2 for VIPs and
# the lab's network namespaces; Pacemaker's crm_simulate for the differential tests; OCF
# resource agents; fence agents, fence_dummy of which a test runs; MariaDB with Galera, which the clustercheck test runs as a single-node
# cluster on loopback) and npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(etcd-server etcd-client fence-agents galera-4 haproxy iproute2 mariadb-server openssl pacemaker-cli-utils pacemaker-resource-agents resource-agents)
missing=()
for package in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "tandem: need root to install Debian packages: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
