#!/usr/bin/env bash
# Packaging checks (issue 7): what someone who pip-installs the package gets.
#
#   .ci/check_package.sh [--worktree] [REPO]
#
# From a clean `git clone` of REPO (default: this repository) in a temporary folder, so the
# working tree's build outputs are never used or touched: build the sdist and the wheel with
# `python -m build` (the wheel is built from the sdist, which proves the sdist builds), install
# the wheel with jupyterlab and ipython into a fresh venv, and check that
#   - the sdist holds the TypeScript sources and everything needed to build them;
#   - `jupyter server extension list` shows jupyter_binder_ext enabled and OK, and
#     `jupyter labextension list` shows jupyter-binder-ext enabled and OK, with no command run;
#   - the version is single-sourced: wheel == labextension/package.json == __version__ ==
#     the built extension's package.json;
#   - `jupyter server --ServerApp.allow_unauthenticated_access=False` starts with the extension
#     and prints no JupyterServerAuthWarning; GET /binder/api/limits works with the token and
#     is refused without it;
#   - `jupyter binder --help` and `%binder --help` (IPython) list every subcommand.
# --worktree copies the working tree's tracked and untracked, not ignored, files instead of
# cloning (to try uncommitted changes). KEEP_WORKDIR=1 keeps the temporary folder.
# Prints PASS/FAIL per check; exits non-zero if any check fails.
set -uo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODE=clone
if [[ ${1:-} == --worktree ]]; then
  MODE=worktree
  shift
fi
SRC=$(cd "${1:-$REPO_ROOT}" && pwd)
PY=${PYTHON:-$REPO_ROOT/.venv/bin/python}
WORK=$(mktemp -d /tmp/check-package.XXXXXX)
SERVER_PID=""
FAILURES=0
START=$SECONDS

cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  if [[ ${KEEP_WORKDIR:-0} == 1 ]]; then
    echo "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

pass() { printf 'PASS  %s\n' "$1"; }
fail() {
  printf 'FAIL  %s\n' "$1"
  if [[ -n ${2:-} ]]; then printf '%s\n' "$2" | tail -n 40 | sed 's/^/      /'; fi
  FAILURES=$((FAILURES + 1))
}
step() { printf '\n== %s (%ds)\n' "$1" $((SECONDS - START)); }
finish() {
  printf '\n%s: %d check(s) failed; took %ds\n' "$([[ $FAILURES == 0 ]] && echo PASS || echo FAIL)" \
    "$FAILURES" $((SECONDS - START))
  exit $((FAILURES > 0))
}

# -- 1. the source ------------------------------------------------------------------------------
step "source: $MODE of $SRC"
mkdir -p "$WORK/src"
if [[ $MODE == clone ]]; then
  git clone -q "$SRC" "$WORK/src" || { fail "git clone $SRC"; finish; }
else
  (cd "$SRC" && git ls-files -co --exclude-standard -z |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$WORK/src" ||
    { fail "copy the working tree"; finish; }
fi
if [[ -e $WORK/src/jupyter_binder_ext/labextension || -e $WORK/src/labextension/node_modules ]]; then
  fail "the source holds build outputs (jupyter_binder_ext/labextension or node_modules)"
fi

# -- 2. sdist, then the wheel from the sdist ----------------------------------------------------
step "python -m build (sdist, then the wheel from the sdist; runs jlpm install and build:prod)"
"$PY" -m build --version >/dev/null 2>&1 || { fail "the build package is not installed in $PY"; finish; }
if "$PY" -m build --outdir "$WORK/dist" "$WORK/src" >"$WORK/build.log" 2>&1; then
  pass "sdist and wheel build; the wheel was built from the sdist"
else
  fail "python -m build" "$(cat "$WORK/build.log")"
  finish
fi
SDIST=$(ls "$WORK"/dist/*.tar.gz)
WHEEL=$(ls "$WORK"/dist/*.whl)
echo "      $(basename "$SDIST"), $(basename "$WHEEL")"

# -- 3. what the two archives hold --------------------------------------------------------------
step "archive contents"
tar -tzf "$SDIST" | sed 's|^[^/]*/||' | sort >"$WORK/sdist.txt"
missing=""
for path in pyproject.toml labextension/package.json labextension/yarn.lock \
  labextension/.yarnrc.yml labextension/tsconfig.json labextension/install.json \
  labextension/schema/plugin.json labextension/style/index.css \
  jupyter-config/server-config/jupyter_binder_ext.json; do
  grep -qxF "$path" "$WORK/sdist.txt" || missing+=" $path"
done
# Every TypeScript source of the clone, no more, no less.
(cd "$WORK/src" && find labextension/src -type f \( -name '*.ts' -o -name '*.tsx' \) | sort) \
  >"$WORK/ts-sources.txt"
ts_in_sdist=$(grep -E '^labextension/src/.*\.tsx?$' "$WORK/sdist.txt" | sort)
if [[ -z $missing && -s $WORK/ts-sources.txt && $ts_in_sdist == "$(cat "$WORK/ts-sources.txt")" ]]; then
  pass "sdist holds the TypeScript sources ($(wc -l <"$WORK/ts-sources.txt") files) and the build inputs"
else
  fail "sdist contents" "missing:${missing:- none}
TypeScript in the clone vs the sdist:
$(diff <(cat "$WORK/ts-sources.txt") <(printf '%s\n' "$ts_in_sdist"))"
fi
"$PY" -m zipfile -l "$WHEEL" | awk 'NR > 1 {print $1}' >"$WORK/wheel.txt"
wheel_missing=""
for pattern in '/data/share/jupyter/labextensions/jupyter-binder-ext/package.json$' \
  '/data/share/jupyter/labextensions/jupyter-binder-ext/install.json$' \
  '/data/share/jupyter/labextensions/jupyter-binder-ext/static/remoteEntry\.[0-9a-f]+\.js$' \
  '/data/share/jupyter/labextensions/jupyter-binder-ext/schemas/jupyter-binder-ext/.*\.json$' \
  '/data/etc/jupyter/jupyter_server_config.d/jupyter_binder_ext.json$' \
  '^jupyter_binder_ext/_version.py$'; do
  grep -qE "$pattern" "$WORK/wheel.txt" || wheel_missing+=" $pattern"
done
if [[ -z $wheel_missing ]]; then
  pass "wheel holds the prebuilt lab extension, its install.json and the server config"
else
  fail "wheel contents" "missing:$wheel_missing"
fi

# -- 4. a fresh venv with the wheel -------------------------------------------------------------
step "fresh venv: pip install the wheel, jupyterlab and ipython"
BASE_PY=$("$PY" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')
"$BASE_PY" -m venv "$WORK/venv" || { fail "python -m venv"; finish; }
VENV=$WORK/venv
mkdir -p "$WORK/home"
# Nothing from this machine's Jupyter set-up: its own HOME, config, data and runtime folders.
RUN=(env -i "HOME=$WORK/home" "PATH=$VENV/bin:/usr/local/bin:/usr/bin:/bin" "LANG=C.UTF-8"
  "JUPYTER_CONFIG_DIR=$WORK/home/.jupyter" "JUPYTER_DATA_DIR=$WORK/home/.local/share/jupyter"
  "JUPYTER_RUNTIME_DIR=$WORK/home/runtime" "PYTHONWARNINGS=default" "SHELL=/bin/bash"
  "PIP_CACHE_DIR=${PIP_CACHE_DIR:-$HOME/.cache/pip}")
if "${RUN[@]}" "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
  "$WHEEL" jupyterlab ipython >"$WORK/pip.log" 2>&1; then
  pass "the wheel installs into a fresh venv"
else
  fail "pip install the wheel" "$(cat "$WORK/pip.log")"
  finish
fi

# -- 5. both extensions enabled and OK, with no command run -------------------------------------
step "extensions enabled"
no_color() { sed 's/\x1b\[[0-9;]*m//g'; }
out=$("${RUN[@]}" jupyter server extension list 2>&1 | no_color)
if grep -qE '^\s*jupyter_binder_ext enabled' <<<"$out" &&
  grep -qE '^\s*jupyter_binder_ext [^ ]+ OK' <<<"$out"; then
  pass "jupyter server extension list: jupyter_binder_ext enabled, OK"
else
  fail "jupyter server extension list" "$out"
fi
out=$("${RUN[@]}" jupyter labextension list 2>&1 | no_color)
if grep -qE "^\s*jupyter-binder-ext v[^ ]+ enabled\s+OK" <<<"$out" && grep -qF "$VENV/share" <<<"$out"; then
  pass "jupyter labextension list: jupyter-binder-ext enabled, OK (from the venv)"
else
  fail "jupyter labextension list" "$out"
fi

# -- 6. one version everywhere ------------------------------------------------------------------
step "version"
versions=$("${RUN[@]}" "$VENV/bin/python" - "$WHEEL" "$WORK/src/labextension/package.json" <<'EOF'
import json, sys
from pathlib import Path
from packaging.version import Version
import jupyter_binder_ext

wheel = Path(sys.argv[1]).name.split("-")[1]
source = json.loads(Path(sys.argv[2]).read_text())["version"]
built = json.loads(
    Path(sys.prefix, "share/jupyter/labextensions/jupyter-binder-ext/package.json").read_text()
)["version"]
found = {"wheel": wheel, "labextension/package.json": source,
         "__version__": jupyter_binder_ext.__version__, "built package.json": built}
print(", ".join(f"{k} {v}" for k, v in found.items()))
sys.exit(len({Version(v) for v in found.values()}) != 1)
EOF
)
if [[ $? == 0 ]]; then pass "version single-sourced: $versions"; else fail "versions differ" "$versions"; fi

# -- 7. the server, with unauthenticated access off ---------------------------------------------
step "jupyter server --ServerApp.allow_unauthenticated_access=False"
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
mkdir -p "$WORK/root"
"${RUN[@]}" jupyter server --ServerApp.allow_unauthenticated_access=False --allow-root \
  --no-browser --ip=127.0.0.1 --port="$PORT" --ServerApp.port_retries=0 \
  --IdentityProvider.token="$TOKEN" --ServerApp.root_dir="$WORK/root" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
http() { # http PATH [TOKEN] -> prints the status code
  curl -s -o "$WORK/answer.json" -w '%{http_code}' --max-time 20 \
    ${2:+-H "Authorization: token $2"} "http://127.0.0.1:$PORT$1"
}
up=0
for _ in $(seq 120); do
  if [[ $(http /api/status "$TOKEN") == 200 ]]; then up=1 && break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.5
done
if [[ $up == 1 ]]; then
  status=$(http /binder/api/limits "$TOKEN")
  if [[ $status == 200 ]] && "$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not {"cpu", "memory"} <= set(d))' "$WORK/answer.json"; then
    pass "GET /binder/api/limits with the token: 200 with cpu and memory"
  else
    fail "GET /binder/api/limits with the token answered $status" "$(cat "$WORK/answer.json")"
  fi
  status=$(http /binder/api/limits)
  if [[ $status == 403 || $status == 401 ]]; then
    pass "GET /binder/api/limits without a token is refused ($status)"
  else
    fail "GET /binder/api/limits without a token answered $status"
  fi
  kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
  # Each warning lists its endpoints ("- GET of XHandler registered for /route"); ours are
  # the ones under /binder/ (handlers/__init__.py). Other extensions' warnings (jupyterlab
  # pulls in jupyter_lsp and jupyter_server_terminals) are shown, not counted.
  auth=$("$PY" - "$WORK/server.log" <<'EOF'
import re, sys
ours, others, warning = [], [], False
for line in open(sys.argv[1], errors="replace"):
    if "JupyterServerAuthWarning" in line:
        warning = True
        continue
    endpoint = re.match(r"\s*- (\S+ of \S+ registered for (\S+))", line)
    if warning and endpoint:
        route = endpoint.group(2)
        is_ours = route.startswith("/binder/") or "jupyter_binder_ext" in route
        (ours if is_ours else others).append(endpoint.group(1))
    else:
        warning = False
print("ours: " + ("; ".join(ours) or "none"))
print("other extensions: " + ("; ".join(others) or "none"))
sys.exit(1 if ours else 0)
EOF
  )
  if [[ $? != 0 ]]; then
    fail "JupyterServerAuthWarning for the extension's endpoints" "$auth"
  elif grep -qE 'jupyter_binder_ext \| extension failed' "$WORK/server.log"; then
    fail "the extension failed to load" "$(cat "$WORK/server.log")"
  elif ! grep -qE 'jupyter_binder_ext \| extension was successfully loaded' "$WORK/server.log"; then
    fail "the server's log does not say the extension loaded" "$(cat "$WORK/server.log")"
  else
    pass "no JupyterServerAuthWarning for the extension (allow_unauthenticated_access=False)"
    printf '      %s\n' "${auth//$'\n'/$'\n      '}"
  fi
else
  fail "jupyter server did not answer /api/status" "$(cat "$WORK/server.log")"
fi

# -- 8. every subcommand documented -------------------------------------------------------------
step "jupyter binder --help and %binder --help"
subcommands=$("${RUN[@]}" "$VENV/bin/python" -c '
import argparse
from jupyter_binder_ext.terminal.commands import build_parser
for action in build_parser()._actions:
    if isinstance(action, argparse._SubParsersAction):
        print(" ".join(action.choices))
')
if [[ -z $subcommands ]]; then
  fail "no subcommands found in jupyter_binder_ext.terminal.commands.build_parser()"
fi
cli_help=$("${RUN[@]}" jupyter binder --help 2>&1)
magic_help=$("${RUN[@]}" "$VENV/bin/python" -c '
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("%load_ext jupyter_binder_ext", silent=True)
shell.run_cell("%binder --help")
' 2>&1)
for which in cli magic; do
  text=$([[ $which == cli ]] && echo "$cli_help" || echo "$magic_help")
  label=$([[ $which == cli ]] && echo "jupyter binder --help" || echo "%binder --help")
  absent=""
  for name in $subcommands; do
    grep -qE "^\s+$name(\s|$)" <<<"$text" || absent+=" $name"
  done
  if [[ -z $absent && -n $subcommands ]]; then
    pass "$label lists every subcommand ($subcommands)"
  else
    fail "$label does not list:$absent" "$text"
  fi
done
broken=""
for name in $subcommands; do
  "${RUN[@]}" jupyter binder "$name" --help >/dev/null 2>&1 || broken+=" $name"
done
if [[ -z $broken ]]; then
  pass "jupyter binder COMMAND --help works for every subcommand"
else
  fail "jupyter binder COMMAND --help failed for:$broken"
fi

finish
