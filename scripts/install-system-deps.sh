#!/usr/bin/env bash
# Installs what Sluice's local cluster and tests need from Debian (run as root, once):
# redis-server and Chromium (the console's browser tests). etcd, kube-apiserver,
# kube-controller-manager and kubectl are built from the Go module proxy by
# scripts/build-kube.sh, which needs Go >= 1.24 (https://go.dev/dl/; Debian bookworm's is older).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: run as root (sudo $0)" >&2
  exit 1
fi

apt-get update -qq
apt-get install -y -qq --no-install-recommends redis-server ca-certificates >/dev/null
# Chromium with its recommended packages (fonts among them): the configuration the console's tests use.
apt-get install -y -qq chromium >/dev/null
command -v go >/dev/null 2>&1 || echo "install-system-deps: no 'go' on PATH; scripts/build-kube.sh needs Go >= 1.24 (https://go.dev/dl/)" >&2
echo "install-system-deps: done"
