#!/usr/bin/env bash
# make run: gatepass-server with the demo data on 127.0.0.1:8080 (SQLite under
# ./data) and a user-mode gatepassd signed in as the demo contractor, with
# its SOCKS5 and HTTP proxies on 127.0.0.1. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=build/bin
DATA=${DATA:-./data}
LISTEN=${LISTEN:-127.0.0.1:8080}
URL="http://$LISTEN"
AGENT_DIR="$DATA/agent"
SOCK="$AGENT_DIR/gatepassd.sock"
SOCKS5=${SOCKS5:-127.0.0.1:1080}
HTTP_PROXY_ADDR=${HTTP_PROXY_ADDR:-127.0.0.1:3128}

mkdir -p "$DATA" "$AGENT_DIR"
chmod 700 "$DATA" "$AGENT_DIR"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$BIN/gatepass-server" --demo --data-dir "$DATA" --listen "$LISTEN" "$@" &
pids+=($!)

for _ in $(seq 1 100); do
  curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$URL/healthz" >/dev/null || { echo "gatepass-server did not start" >&2; exit 1; }

"$BIN/gatepassd" run --server "$URL" --socket "$SOCK" --state-dir "$AGENT_DIR" --tunnel netstack \
  --socks5 "$SOCKS5" --http-proxy "$HTTP_PROXY_ADDR" --credential-store file --log-level warn &
pids+=($!)
for _ in $(seq 1 100); do
  [ -S "$SOCK" ] && break
  sleep 0.1
done

password=$(awk '/contractor:/ {print $4}' "$DATA/demo-credentials.txt")
printf '%s' "$password" | "$BIN/gatepassd" login --socket "$SOCK" --server "$URL" --email contractor@example.com --password-stdin >/dev/null

# Wait for the zero-path grant's tunnel to come up.
for _ in $(seq 1 100); do
  "$BIN/gatepassd" status --socket "$SOCK" --json | grep -Eq '"connected": *true' && break
  sleep 0.1
done

cat <<MSG

Gatepass is running.
  Admin API:      $URL/api/v1   (credentials above; also in $DATA/demo-credentials.txt)
  Agent:          signed in as contractor@example.com; LocalAPI socket $SOCK
  Proxies:        SOCKS5 $SOCKS5, HTTP $HTTP_PROXY_ADDR

The contractor's networks:
MSG
"$BIN/gatepassd" status --socket "$SOCK"
cat <<MSG

Reach the zero-path network's status page through the tunnel:
  curl --socks5-hostname $SOCKS5 http://10.79.0.1/
  curl --proxy http://$HTTP_PROXY_ADDR http://10.79.0.1/

Use the agent: $BIN/gatepassd --help (add --socket $SOCK)
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
