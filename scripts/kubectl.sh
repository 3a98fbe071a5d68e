#!/usr/bin/env bash
# kubectl for the local cluster that `npm start` runs: the version the local cluster was built
# with, and its kubeconfig ($SLUICE_HOME/kubeconfig). Usage: npm run --silent kubectl -- get pods -A
set -euo pipefail
bin="$(bash "$(dirname "$0")/build-kube.sh")"
exec "$bin/kubectl" --kubeconfig "${SLUICE_HOME:-$HOME/.sluice}/kubeconfig" "$@"
