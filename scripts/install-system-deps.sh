#!/usr/bin/env bash
# Installs what Sluice's local cluster and tests need from Debian (run as root, once):
# etcd, redis-server, the toolchain to build kube-apiserver/kube-controller-manager/kubectl
# v1.20 from Debian's `kubernetes` source package (SPEC §5), and Chromium for the console's
# browser tests. Adds a deb-src entry for the mirror and suite apt already uses.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

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

apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  etcd-server redis-server \
  golang-go golang-github-modern-go-reflect2-dev rsync dpkg-dev make ca-certificates >/dev/null
# Chromium with its recommended packages (fonts among them): the configuration the console's tests use.
apt-get install -y -qq chromium >/dev/null
echo "install-system-deps: done"
