#!/usr/bin/env bash
# Schemathesis (PyPI) against /api/openapi.json of a served base: the demo data plus a partner
# base holding one partner, anonymous then with an editor token. Checks: no 5xx, every
# response matches the document, none slower than 2 s. A bounded number of examples per
# operation keeps it to well under a minute. Usage: scripts/schemathesis.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${XDG_CACHE_HOME:-$HOME/.cache}/maillage/schemathesis-venv"
if [ ! -x "$VENV/bin/schemathesis" ]; then
  echo "Installation de schemathesis dans $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q 'schemathesis>=4.3,<5'
fi

BIN="${1:-${CARGO_TARGET_DIR:-target}/debug/maillage}"
[ -x "$BIN" ] || cargo build -q --bin maillage
WORK="$(mktemp -d)"
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"
TOKEN="$("$BIN" jetons creer --nom schemathesis --role editeur --base "$WORK/base.sqlite" 2>/dev/null)"
"$BIN" servir --adresse "127.0.0.1:$PORT" --sans-tuiles --base "$WORK/base.sqlite" \
  >"$WORK/serveur.log" 2>&1 &
PID=$!
python3 - "$URL" "$TOKEN" <<'PY'
import json, sys, time, urllib.request
url, token = sys.argv[1], sys.argv[2]
for _ in range(600):
    try:
        urllib.request.urlopen(url + "/api/health", timeout=2)
        break
    except Exception:
        time.sleep(0.2)
else:
    sys.exit("le serveur n'a pas démarré")
body = json.dumps({"identifiant": "dac81", "nom": "DAC du Tarn", "type": "dac",
                   "code_insee": "81004", "telephone": "05 63 12 34 56",
                   "site": "https://www.exemple.fr"}).encode()
req = urllib.request.Request(url + "/api/partenaires", data=body, method="POST", headers={
    "Authorization": "Bearer " + token, "Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=10)
PY

# One worker: the coverage phase of schemathesis 4 can trip a CPython 3.11 bug in threads.
# /api/isochrone answers 503 by design without a routing engine (tests/routing.rs covers it).
run() {
  "$VENV/bin/schemathesis" run "$URL/api/openapi.json" "$@" \
    --checks not_a_server_error,response_schema_conformance \
    --max-response-time 2 --max-examples "${SCHEMATHESIS_EXAMPLES:-15}" \
    --seed "${SCHEMATHESIS_SEED:-1}" --no-shrink --request-timeout 10 --workers 1 \
    --generation-database none --exclude-path /api/isochrone --no-color
}
echo "schemathesis : sans jeton"
run
echo "schemathesis : avec un jeton d'éditeur"
run --header "Authorization: Bearer $TOKEN"
