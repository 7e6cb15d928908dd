#!/usr/bin/env bash
# The complete wheel, as a user gets it: build it, install it into a fresh venv, and use it from
# another directory (no checkout on sys.path): tools and skills ship inside it, the demo runs,
# an MCP SDK client talks to `mcp-server-vigil` over stdio, two stdio clients and the CLI share
# one home at once. Prints the venv's bin folder on the last line (conformance.sh reuses it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "== the wheel: build, install into a fresh venv, use from another directory" >&2
.venv/bin/pip wheel --quiet --no-deps --wheel-dir "$WORK/dist" . >&2
WHEEL=$(ls "$WORK"/dist/mcp_server_vigil-*.whl)
echo "-- built $(basename "$WHEEL")" >&2
VENV=${WHEEL_VENV:-$ROOT/.ci/wheel-venv}
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet "$WHEEL" >&2
BIN=$VENV/bin

ELSEWHERE=$WORK/elsewhere
mkdir -p "$ELSEWHERE/home"
cd "$ELSEWHERE"
export VIGIL_HOME=$ELSEWHERE/home
"$BIN/vigil" tools list | tee "$WORK/tools.txt" >&2
[[ $(grep -c ' served  built-in ' "$WORK/tools.txt") -eq 6 ]] || { echo "wheel: expected 6 built-in tools" >&2; exit 1; }
"$BIN/vigil" skills list | tee "$WORK/skills.txt" >&2
[[ $(grep -c ' built-in ' "$WORK/skills.txt") -eq 3 ]] || { echo "wheel: expected 3 starter skills" >&2; exit 1; }
"$BIN/vigil" demo >"$WORK/demo.txt"
tail -n 3 "$WORK/demo.txt" >&2
"$BIN/vigil" knowledge add "$("$BIN/python" -c 'import vigil_mcp, pathlib; print(pathlib.Path(vigil_mcp.__file__).parent / "data" / "runbooks-sample.jsonl")')" >&2
"$BIN/python" "$ROOT/.ci/wheel_client.py" "$BIN" >&2
cd "$ROOT"
echo "$BIN"
