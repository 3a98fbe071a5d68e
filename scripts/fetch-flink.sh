#!/usr/bin/env bash
# Fetches a real Flink runtime for the test bed, once, into a cache outside the repo keyed by
# version: Flink's own jars (lib/, opt/, plugins/, bin/bash-java-utils.jar) from PyPI's
# `apache-flink-libraries`, and the TopSpeedWindowing example job from Maven Central
# (org.apache.flink:flink-examples-streaming, classifier TopSpeedWindowing) into examples/streaming/,
# laid out like a Flink distribution's FLINK_HOME (without its shell scripts).
# Usage: fetch-flink.sh <version>   (a pinned version below; default 1.20)
# Prints FLINK_HOME as its last stdout line; progress goes to stderr. Costs nothing when cached.
set -euo pipefail

# Pinned versions: runtime (PyPI) and example job (Maven Central). 1.20 is Flink's LTS line
# (latest patch); the registry has the 1.20 example only as 1.20.0, which runs on any 1.20.x.
declare -A RUNTIME=([1.20]=1.20.5 [2.3]=2.3.0)
declare -A EXAMPLE=([1.20]=1.20.0 [2.3]=2.3.0)

LINE="${1:-1.20}"
[ -n "${RUNTIME[$LINE]:-}" ] || { echo "[fetch-flink] unknown Flink version '$LINE': one of ${!RUNTIME[*]}" >&2; exit 2; }
VERSION="${RUNTIME[$LINE]}"
EXAMPLE_VERSION="${EXAMPLE[$LINE]}"
CACHE="${SLUICE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}"
HOME_DIR="$CACHE/flink-$VERSION"
JAR="$HOME_DIR/examples/streaming/TopSpeedWindowing.jar"

complete() { [ -f "$HOME_DIR/lib/flink-dist-$VERSION.jar" ] && [ -f "$HOME_DIR/bin/bash-java-utils.jar" ] && [ -f "$JAR" ]; }
if complete; then echo "$HOME_DIR"; exit 0; fi

# Two first runs at once (several test files) must not unpack into the same tree.
mkdir -p "$CACHE"
exec 9>"$CACHE/flink-$VERSION.lock"
flock 9
if complete; then echo "$HOME_DIR"; exit 0; fi

step() { echo "[fetch-flink] $*" >&2; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || { echo "[fetch-flink] missing '$1': install the Debian package '$2'" >&2; exit 1; }; }
need_cmd python3 python3
need_cmd mvn maven
need_cmd java openjdk-17-jre-headless

WORK="$(mktemp -d "$CACHE/flink-$VERSION.tmp.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
started=$SECONDS
step "downloading apache-flink-libraries==$VERSION from PyPI (about 230-310 MB)"
python3 -m pip download --no-deps --progress-bar on -d "$WORK/dist" "apache-flink-libraries==$VERSION" >&2
step "unpacking"
archive="$(ls "$WORK"/dist/apache_flink_libraries-"$VERSION"* | head -1)"
mkdir -p "$WORK/x"
case "$archive" in
  *.whl) python3 -m zipfile -e "$archive" "$WORK/x" ;;
  *.tar.gz) tar -xzf "$archive" -C "$WORK/x" ;;
  *) echo "[fetch-flink] unexpected archive $archive" >&2; exit 1 ;;
esac
# The sdist (1.x) keeps the jars under deps/, the wheel (2.x) under pyflink/.
root="$(dirname "$(find "$WORK/x" -path '*/lib/flink-dist-*.jar' | head -1)")/.."
[ -f "$root/bin/bash-java-utils.jar" ] || { echo "[fetch-flink] no bin/bash-java-utils.jar in $archive" >&2; exit 1; }
mkdir -p "$WORK/home/examples/streaming" "$WORK/home/conf" "$WORK/home/log"
cp -r "$root/lib" "$root/opt" "$root/plugins" "$root/bin" "$WORK/home/"

step "downloading org.apache.flink:flink-examples-streaming:$EXAMPLE_VERSION:TopSpeedWindowing from Maven Central"
mvn -B -q dependency:copy -Dartifact="org.apache.flink:flink-examples-streaming:$EXAMPLE_VERSION:jar:TopSpeedWindowing" \
  -DoutputDirectory="$WORK/ex" >&2
mv "$WORK/ex/flink-examples-streaming-$EXAMPLE_VERSION-TopSpeedWindowing.jar" "$WORK/home/examples/streaming/TopSpeedWindowing.jar"

rm -rf "$HOME_DIR"
mv "$WORK/home" "$HOME_DIR"
step "Flink $VERSION ready in $HOME_DIR ($(du -sh "$HOME_DIR" | cut -f1), $((SECONDS - started)) s)"
echo "$HOME_DIR"
