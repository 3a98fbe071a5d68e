#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kubectl v1.20.x from Debian's
# `kubernetes` source package, once, into a cache outside the repo keyed by version.
# Prints the directory of the binaries as its last stdout line; progress goes to stderr.
# The vendored reflect2 v1.0.1 crashes under Go >= 1.18, so it is replaced
# with Debian's golang-github-modern-go-reflect2-dev (1.0.2).
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.20.2}"
CACHE="${SLUICE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}"
OUT="$CACHE/kube-$KUBE_VERSION/bin"
BINARIES=(kube-apiserver kube-controller-manager kubectl)

have_all() { for b in "${BINARIES[@]}"; do [ -x "$OUT/$b" ] || return 1; done; }
if have_all; then echo "$OUT"; exit 0; fi

# Two first runs at once (tests and `npm start`) must not build into the same tree.
mkdir -p "$CACHE"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/kube-$KUBE_VERSION.lock"
  flock 9
  if have_all; then echo "$OUT"; exit 0; fi
fi

step() { echo "[build-kube] $*" >&2; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || { echo "[build-kube] missing '$1': install the Debian package '$2' (apt-get install $2)" >&2; exit 1; }; }
# Kubernetes 1.20 builds with Debian's Go 1.19 (package golang-go), not whichever newer `go`
# comes first on PATH: a newer toolchain rejects its vendored tree.
DEBIAN_GO="$(ls -d /usr/lib/go-1.19/bin 2>/dev/null || true)"
[ -n "$DEBIAN_GO" ] || { echo "[build-kube] missing Go 1.19: install the Debian package 'golang-go' (apt-get install golang-go)" >&2; exit 1; }
export PATH="$DEBIAN_GO:$PATH" GOTOOLCHAIN=local
need_cmd rsync rsync
need_cmd dpkg-source dpkg-dev
need_cmd make make
[ -d /usr/share/gocode/src/github.com/modern-go/reflect2 ] || {
  echo "[build-kube] missing reflect2 1.0.2: install the Debian package 'golang-github-modern-go-reflect2-dev'" >&2; exit 1; }

WORK="$CACHE/kube-$KUBE_VERSION/src"
mkdir -p "$WORK"
cd "$WORK"
if ! ls -d kubernetes-*/ >/dev/null 2>&1; then
  step "fetching Debian source package 'kubernetes' (needs a deb-src entry; .ci/run adds one)"
  apt-get source --download-only kubernetes >&2 || {
    echo "[build-kube] 'apt-get source kubernetes' failed: add a deb-src line for your Debian mirror and run apt-get update" >&2; exit 1; }
  dpkg-source --no-check -x kubernetes_*.dsc >&2
fi
SRC="$(cd "$(ls -d kubernetes-*/ | head -1)" && pwd)"
step "source tree: $SRC"

step "replacing vendored reflect2 with Debian's 1.0.2"
rm -rf "$SRC/vendor/github.com/modern-go/reflect2"
mkdir -p "$SRC/vendor/github.com/modern-go/reflect2"
cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go /usr/share/gocode/src/github.com/modern-go/reflect2/*.s "$SRC/vendor/github.com/modern-go/reflect2/"
rm -f "$SRC"/vendor/github.com/modern-go/reflect2/*_test.go

mkdir -p "$SRC/.go/src/k8s.io"
ln -sfn "$SRC" "$SRC/.go/src/k8s.io/kubernetes"
step "building ${BINARIES[*]} (about 5 minutes on 2 cores)"
cd "$SRC/.go/src/k8s.io/kubernetes"
export GOPATH="$SRC/.go" GO111MODULE=off GOFLAGS=-mod=vendor CGO_ENABLED=0
# Progress: make prints each package as it links; keep the tail visible without flooding.
CGO_ENABLED=0 make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kubectl" 2>&1 | while IFS= read -r line; do echo "[build-kube] $line" >&2; done
mkdir -p "$OUT"
for b in "${BINARIES[@]}"; do
  f="$(find "$SRC/_output" -type f -name "$b" -perm -u+x | head -1)"
  [ -n "$f" ] || { echo "[build-kube] build produced no $b" >&2; exit 1; }
  cp "$f" "$OUT/$b"
done
step "done: $OUT"
echo "$OUT"
