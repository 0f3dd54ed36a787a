#!/usr/bin/env bash
# Runs scripts/measure.ts for the given modes, each against a fresh emulator in its own process (127.0.0.1).
#   bash packages/stream/scripts/compare.sh "reference ours" 50000 3
set -euo pipefail
cd "$(dirname "$0")/../../.."
modes=${1:-"reference ours"}
n=${2:-50000}
rounds=${3:-3}
port=${PORT:-18472}
config=$(mktemp)
cat > "$config" <<'JSON'
{ "projects": [{ "name": "bench", "pipelines": [
  { "name": "slow", "workers": 20, "objects": [{ "kind": "deployment", "name": "wait", "latencyMs": 2000 }] }
] }] }
JSON
for round in $(seq "$rounds"); do
  for mode in $modes; do
    node --import tsx packages/emulator/src/bin.ts --port "$port" --token benchtoken --config "$config" >/dev/null 2>&1 &
    emulator=$!
    until curl -sf "http://127.0.0.1:$port/_emulator/stats" >/dev/null; do sleep 0.2; done
    node --import tsx packages/stream/scripts/measure.ts "$mode" "http://127.0.0.1:$port/v2.1" benchtoken "$n" || true
    kill "$emulator"; wait "$emulator" 2>/dev/null || true
  done
done
rm -f "$config"
