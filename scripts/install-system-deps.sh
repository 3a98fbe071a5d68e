#!/usr/bin/env bash
# Installs the Debian packages of scripts/system-packages.txt (run as root; `npm start` and
# `npm test` run it themselves when something is missing and they run as root). etcd and
# Kubernetes are not among them: scripts/build-kube.sh builds both from the Go module proxy
# with the installed Go (>= 1.24).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
cd "$(dirname "$0")"

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: run as root (sudo $0)" >&2
  exit 1
fi

mapfile -t packages < <(awk '!/^#/ && NF { print $1 }' system-packages.txt)
echo "install-system-deps: apt-get update" >&2
apt-get update -qq
echo "install-system-deps: installing ${packages[*]} (a few minutes on a new machine)" >&2
# With recommended packages: Chromium's fonts are part of what the console's browser tests render.
apt-get install -y -qq "${packages[@]}" >/dev/null
echo "install-system-deps: done" >&2
