#!/usr/bin/env bash
# Builds Knative Eventing's ApiServerSource receive adapter and broker filter, once, into a
# cache outside the repo keyed by the knative.dev/eventing version pinned in
# scripts/knative/go.mod, from the published modules on the Go module proxy, with the
# installed Go (never a downloaded toolchain).
# Prints the directory of the binaries as its last stdout line; progress goes to stderr.
set -euo pipefail

MODULE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/knative" && pwd)"
VERSION="$(awk '$1 == "knative.dev/eventing" && $2 ~ /^v/ { print $2 }' "$MODULE_DIR/go.mod")"
[ -n "$VERSION" ] || { echo "[build-knative] no knative.dev/eventing version in $MODULE_DIR/go.mod" >&2; exit 1; }
CACHE="${SLUICE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}"
OUT="$CACHE/knative-$VERSION/bin"
BINARIES=(apiserver_receive_adapter filter)
PACKAGES=(knative.dev/eventing/cmd/apiserver_receive_adapter knative.dev/eventing/cmd/broker/filter)

have_all() { for b in "${BINARIES[@]}"; do [ -x "$OUT/$b" ] || return 1; done; }
if have_all; then echo "$OUT"; exit 0; fi

# Two first runs at once (several test files, several worktrees) must not build into one tree.
mkdir -p "$CACHE"
exec 9>"$CACHE/knative-$VERSION.lock"
flock 9
if have_all; then echo "$OUT"; exit 0; fi

step() { echo "[build-knative] $*" >&2; }
command -v go >/dev/null 2>&1 || { step "missing 'go' (Go >= 1.24) on PATH: install it from https://go.dev/dl/"; exit 1; }
# The module and build caches are Sluice's (shared with scripts/build-kube.sh, which needs
# many of the same k8s.io modules), so a rebuild costs nothing.
export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOTOOLCHAIN=local GOWORK=off \
  GOFLAGS=-mod=readonly CGO_ENABLED=0
cd "$MODULE_DIR"
step "$(go version) building Knative Eventing $VERSION"

started=$SECONDS
step "downloading modules from ${GOPROXY:-$(go env GOPROXY)}"
go list -deps "${PACKAGES[@]}" 2>&1 >/dev/null | sed 's/^/[build-knative] /' >&2
step "modules ready in $((SECONDS - started))s"

started=$SECONDS
step "compiling ${BINARIES[*]} (a few minutes on 2 cores the first time; progress every 100 packages)"
TMP="$CACHE/knative-$VERSION/tmp"
rm -rf "$TMP" && mkdir -p "$TMP"
if ! go build -v -trimpath -ldflags '-s -w' -o "$TMP/" "${PACKAGES[@]}" 2>&1 |
  awk '/^#|\.go:[0-9]+/ { print "[build-knative] " $0; fflush(); next }
    { n++ } n % 100 == 0 { print "[build-knative] " n " packages compiled, now " $0; fflush() }' >&2; then
  step "go build failed"; exit 1
fi
mkdir -p "$OUT"
for b in "${BINARIES[@]}"; do mv "$TMP/$b" "$OUT/$b"; done
rmdir "$TMP"
step "compiled in $((SECONDS - started))s: $OUT"
echo "$OUT"
