#!/usr/bin/env bash
# The real Gatepass window under Xvfb, against a real agent and backend.
#
#   desktop/scripts/window-smoke.sh [--bench 30s] [--scale 2] [--out DIR]
#
# Needs the binaries in build/bin (make build) and Xvfb, xauth, dbus-x11,
# ImageMagick and xdotool (make deps-desktop). Starts gatepass-server --demo,
# gatepassd signed in as the demo contractor, then the window; checks the
# window title "Gatepass" and that the network names were rendered (the
# window's ready marker, see desktop/scripts/windowcheck), and takes a
# screenshot (bench/window/window.png by default; --policies first puts the
# demo policies on screen: window-policies.png). --bench also measures
# start-up time and idle CPU/memory (bench/window/bench.txt).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

out=bench/window
screen="1280x900x24"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --scale) args+=("$1" "$2"); [ "$2" -ge 2 ] 2>/dev/null && screen="2560x1800x24"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

for b in gatepass gatepassd gatepass-tray gatepass-server; do
  [ -x "build/bin/$b" ] || { echo "window-smoke: build/bin/$b missing: run make build" >&2; exit 1; }
done
for c in xvfb-run dbus-run-session xdotool import; do
  command -v "$c" >/dev/null || { echo "window-smoke: $c missing: run make deps-desktop" >&2; exit 1; }
done

mkdir -p "$out"
go build -o "$out/windowcheck" ./desktop/scripts/windowcheck
exec xvfb-run -a -s "-screen 0 $screen" dbus-run-session -- \
  "$out/windowcheck" --bin build/bin --out "$out" ${args[@]+"${args[@]}"}
