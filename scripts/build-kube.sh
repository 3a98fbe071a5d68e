#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubectl and etcd, once, into a cache outside
# the repo keyed by the Kubernetes version pinned in scripts/kube/go.mod. The sources are the
# published modules from the Go module proxy (k8s.io/kubernetes and its staging modules,
# go.etcd.io/etcd/server/v3 at the version Kubernetes itself requires), built with the
# installed Go; no other toolchain is downloaded.
# Prints the directory of the binaries as its last stdout line; progress goes to stderr.
set -euo pipefail

MODULE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/kube" && pwd)"
KUBE_VERSION="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { sub(/^v/, "", $2); print $2 }' "$MODULE_DIR/go.mod")"
[ -n "$KUBE_VERSION" ] || { echo "[build-kube] no k8s.io/kubernetes version in $MODULE_DIR/go.mod" >&2; exit 1; }
CACHE="${SLUICE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}"
OUT="$CACHE/kube-$KUBE_VERSION/bin"
BINARIES=(kube-apiserver kube-controller-manager kubectl etcd)
PACKAGES=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl go.etcd.io/etcd/server/v3)

have_all() { for b in "${BINARIES[@]}"; do [ -x "$OUT/$b" ] || return 1; done; }
if have_all; then echo "$OUT"; exit 0; fi

# Two first runs at once (tests and `npm start`) must not build into the same tree.
mkdir -p "$CACHE"
exec 9>"$CACHE/kube-$KUBE_VERSION.lock"
flock 9
if have_all; then echo "$OUT"; exit 0; fi

step() { echo "[build-kube] $*" >&2; }
# Go's own installer puts it in /usr/local/go, which a non-login shell may not have on PATH.
command -v go >/dev/null 2>&1 || [ ! -x /usr/local/go/bin/go ] || PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null 2>&1 || { step "missing 'go' (Go >= 1.24) on PATH: install it from https://go.dev/dl/"; exit 1; }
# The module cache and build cache live in Sluice's cache so a rebuild costs nothing; the
# installed toolchain builds (the go.mod's go line is below it), never a downloaded one.
export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOTOOLCHAIN=local GOWORK=off \
  GOFLAGS=-mod=readonly CGO_ENABLED=0
cd "$MODULE_DIR"
step "$(go version) building Kubernetes v$KUBE_VERSION"

started=$SECONDS
step "downloading modules from ${GOPROXY:-$(go env GOPROXY)}"
# `go: downloading <module> <version>` for each module fetched, nothing when all are cached.
go list -deps "${PACKAGES[@]}" 2>&1 >/dev/null | sed 's/^/[build-kube] /' >&2
step "modules ready in $((SECONDS - started))s"

# What kube::version::ldflags in Kubernetes' own build sets, so `kubectl version` and the
# server's /version report the release instead of v0.0.0-master.
# The release's publication time, so the same go.mod always gives the same binaries.
BUILD_DATE="$(go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)"
ldflags=(-s -w)
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=(
    "-X '$pkg.gitVersion=v$KUBE_VERSION'" "-X '$pkg.gitMajor=${KUBE_VERSION%%.*}'"
    "-X '$pkg.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2)'" "-X '$pkg.gitTreeState=clean'"
    "-X '$pkg.buildDate=$BUILD_DATE'"
  )
done

started=$SECONDS
step "compiling ${BINARIES[*]} (about 15 minutes on 2 cores the first time; progress every 200 packages)"
TMP="$CACHE/kube-$KUBE_VERSION/tmp"
rm -rf "$TMP" && mkdir -p "$TMP"
# -v names each package as it is compiled: show every 200th, and any error in full.
if ! go build -v -trimpath -ldflags "${ldflags[*]}" -o "$TMP/" "${PACKAGES[@]}" 2>&1 |
  awk '/^#|\.go:[0-9]+/ { print "[build-kube] " $0; fflush(); next }
    { n++ } n % 200 == 0 { print "[build-kube] " n " packages compiled, now " $0; fflush() }' >&2; then
  step "go build failed"; exit 1
fi
# go.etcd.io/etcd/server/v3's command is named after its module directory.
mv "$TMP/server" "$TMP/etcd"
mkdir -p "$OUT"
for b in "${BINARIES[@]}"; do mv "$TMP/$b" "$OUT/$b"; done
rmdir "$TMP"
step "compiled in $((SECONDS - started))s: $OUT"
echo "$OUT"
