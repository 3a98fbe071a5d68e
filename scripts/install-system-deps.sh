#!/usr/bin/env bash
# Installs the Debian packages of scripts/system-packages.txt (run as root; `npm start` and
# `npm test` run it themselves when something is missing and they run as root). Also adds a
# deb-src entry for the mirror and suite apt already uses: the local cluster's Kubernetes is
# built from Debian's `kubernetes` source package.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
cd "$(dirname "$0")"

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: run as root (sudo $0)" >&2
  exit 1
fi

# deb-src: copy each deb822 source that has none, or each one-line 'deb' entry.
if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    grep -q '^Types: deb$' "$f" || continue
    sed 's/^Types: deb$/Types: deb-src/' "$f" > "/etc/apt/sources.list.d/sluice-src-$(basename "$f")"
  done
  if [ -f /etc/apt/sources.list ] && grep -qE '^deb ' /etc/apt/sources.list; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/sluice-src.list
  fi
fi

mapfile -t packages < <(awk '!/^#/ && NF { print $1 }' system-packages.txt)
echo "install-system-deps: apt-get update" >&2
apt-get update -qq
echo "install-system-deps: installing ${packages[*]} (a few minutes on a new machine)" >&2
# With recommended packages: Chromium's fonts are part of what the console's browser tests render.
apt-get install -y -qq "${packages[@]}" >/dev/null
echo "install-system-deps: done" >&2
