#!/usr/bin/env bash
# The trust sandbox (the content-trust "play in a sandbox" walk-through) without Docker:
# installs what is missing, starts a local notary-server on loopback with a directory of its
# own, and runs a full round trip with tsnotary, printing every command so you can repeat it.
#
#   bash scripts/sandbox.sh          # run and stop the server at the end
#   bash scripts/sandbox.sh --keep   # leave the server running (prints how to stop it)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

keep=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
# npm ci no longer builds (the package has no `prepare` script: docs/decisions.md, issue 13)
if [ ! -f dist/cli-bundle/main.cjs ]; then
  npm run build
fi

sandbox=$(mktemp -d "${TMPDIR:-/tmp}/tsnotary-sandbox.XXXXXX")
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
server_url="http://127.0.0.1:$port"
cat >"$sandbox/server.json" <<EOF
{"server":{"http_addr":"127.0.0.1:$port"},
 "trust_service":{"type":"local","key_algorithm":"ecdsa"},
 "storage":{"backend":"memory"},
 "logging":{"level":"error"}}
EOF
notary-server -config "$sandbox/server.json" >"$sandbox/server.log" 2>&1 &
server_pid=$!
stop_server() { kill "$server_pid" 2>/dev/null || true; }
if [ "$keep" -eq 0 ]; then trap stop_server EXIT; fi
for _ in $(seq 1 100); do
  if curl -fsS "$server_url/_notary_server/health" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

# The sandbox's passphrases: for play only. Real deployments type them at the prompt.
export NOTARY_ROOT_PASSPHRASE=sandbox-root-pass
export NOTARY_TARGETS_PASSPHRASE=sandbox-targets-pass
export NOTARY_SNAPSHOT_PASSPHRASE=sandbox-snapshot-pass
export NOTARY_DELEGATION_PASSPHRASE=sandbox-delegation-pass

trust="$sandbox/trust"
gun="sandbox.local/demo/app"
tsnotary() { node "$root/bin/tsnotary.js" -s "$server_url" -d "$trust" "$@"; }
step() {
  printf '\n\033[1m$ tsnotary -s %s -d %s %s\033[0m\n' "$server_url" "$trust" "$*"
  tsnotary "$@"
}

echo "notary-server running at $server_url (pid $server_pid), sandbox dir $sandbox"
echo "passphrases come from NOTARY_*_PASSPHRASE (see this script)"
printf 'hello, trusted world\n' >"$sandbox/hello.txt"

step list "$gun" || true # a new GUN has no trust data yet
step init "$gun"
step publish "$gun"
step list "$gun"
step add -p "$gun" hello.txt "$sandbox/hello.txt"
step list "$gun"
step lookup "$gun" hello.txt
printf '\n\033[1m$ tsnotary ... verify %s hello.txt < hello.txt\033[0m\n' "$gun"
tsnotary verify -q "$gun" hello.txt <"$sandbox/hello.txt" && echo "hello.txt verified"

# A signer delegation, as the content-trust guides set up for each team.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 -days 365 -nodes \
  -subj "/CN=sandbox-releases" -keyout "$sandbox/releases.key" -out "$sandbox/releases.crt" 2>/dev/null
step key import "$sandbox/releases.key" --role targets/releases
step delegation add -p "$gun" targets/releases "$sandbox/releases.crt" --all-paths
step delegation list "$gun"
printf 'v1.0\n' >"$sandbox/v1.txt"
step add -p "$gun" v1.txt "$sandbox/v1.txt" --roles targets/releases
step list "$gun"
step key list

echo
echo "Sandbox round trip complete."
if [ "$keep" -eq 1 ]; then
  echo "notary-server is still running at $server_url; stop it with: kill $server_pid"
  echo "trust dir: $trust"
else
  echo "Stopping notary-server (run with --keep to leave it running)."
fi
