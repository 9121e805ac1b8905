#!/usr/bin/env bash
# Stops the emulator that start.sh started: LocalStack's process and its DynamoDB Local JVM,
# each by PID: the recorded one, or for the JVM the one running this emulator home's jar.
# Never by a process name, so other LocalStacks on the machine are left alone.
#
#   --docker, or STEPWISE_EMULATOR=docker   stop the container start.sh --docker started
#   STEPWISE_EMULATOR_HOME, STEPWISE_EMULATOR_PORT   as for start.sh
set -euo pipefail

emu_home="${STEPWISE_EMULATOR_HOME:-$HOME/.cache/stepwise/emulator}"
port="${STEPWISE_EMULATOR_PORT:-4566}"
pid_file="$emu_home/localstack.pid"
ddb_pid_file="$emu_home/dynamodb-local.pid"

mode="${STEPWISE_EMULATOR:-host}"
for arg in "$@"; do
  case "$arg" in
    --docker) mode=docker ;;
    *)
      printf 'stop: unknown argument %s\n' "$arg" >&2
      exit 2
      ;;
  esac
done

say() { printf 'stop: %s\n' "$*" >&2; }

if [[ "$mode" == docker ]]; then
  container="stepwise-localstack-$port"
  if docker stop "$container" >/dev/null 2>&1; then
    say "stopped container $container"
  else
    say "container $container is not running"
  fi
  exit 0
fi

# True when process $1 runs a command line containing $2. The check guards against a stale
# PID file whose PID the system has since given to an unrelated process.
runs() {
  [[ "$1" =~ ^[0-9]+$ ]] || return 1
  ps -o command= -p "$1" 2>/dev/null | grep -qF -- "$2"
}

# The PID in file $1 if that process still runs a command line containing $2.
live_pid() {
  local pid
  pid="$(cat "$1" 2>/dev/null)" && runs "$pid" "$2" && printf '%s\n' "$pid"
}

# Sends TERM, waits up to $3 seconds, then KILL.
end_pid() {
  local pid="$1" what="$2" grace_s="$3" i
  if ! kill -TERM "$pid" 2>/dev/null; then
    say "$what (PID $pid) already ended"
    return 0
  fi
  for ((i = 0; i < grace_s * 10; i++)); do
    # A zombie counts as ended: its parent (init here, after start.sh exited) reaps it later.
    if ! kill -0 "$pid" 2>/dev/null || [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" == Z* ]]; then
      say "stopped $what (PID $pid)"
      return 0
    fi
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  say "killed $what (PID $pid) after ${grace_s}s"
}

# The JVM of *this* emulator home: LocalStack starts it as `java … -jar <this path> …`.
ddb_jar="$emu_home/fs/var/lib/localstack/lib/dynamodb-local/2/DynamoDBLocal.jar"

ls_pid="$(live_pid "$pid_file" localstack.runtime.main || true)"
ddb_pid="$(live_pid "$ddb_pid_file" "-jar $ddb_jar" || true)"
# No recorded JVM (start.sh was interrupted before it saw one, or LocalStack started it
# late): look for one running this home's jar, still LocalStack's child or orphaned.
if [[ -z "$ddb_pid" ]]; then
  for pid in $(pgrep -f DynamoDBLocal.jar || true); do
    if runs "$pid" "-jar $ddb_jar"; then
      ddb_pid="$pid"
      break
    fi
  done
fi

if [[ -z "$ls_pid" && -z "$ddb_pid" ]]; then
  say "not running (no live PID in $emu_home)"
else
  # LocalStack first: its shutdown may stop DynamoDB Local itself, but often exits without
  # doing so, so the JVM is ended by PID after it. LocalStack 2026.3.0's shutdown sometimes
  # hangs for good (its event loop is stopped from another thread and stays blocked): the port
  # is closed within a second, so a short grace before KILL loses nothing (data is in memory).
  [[ -n "$ls_pid" ]] && end_pid "$ls_pid" LocalStack 5
  [[ -n "$ddb_pid" ]] && end_pid "$ddb_pid" "DynamoDB Local" 10
fi
rm -f "$pid_file" "$ddb_pid_file"
