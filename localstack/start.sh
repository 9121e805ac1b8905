#!/usr/bin/env bash
# Starts LocalStack (DynamoDB + SQS) in the background and waits until both really serve.
# Progress goes to stderr; the last (and only) stdout line is `AWS_ENDPOINT_URL=…`, so
#   export "$(localstack/start.sh | tail -n 1)"
# works. If an emulator already answers on the port, it only prints the endpoint.
#
#   --docker, or STEPWISE_EMULATOR=docker   run the LocalStack container instead of host mode
#   STEPWISE_EMULATOR_HOME   install/state folder (default ~/.cache/stepwise/emulator)
#   STEPWISE_EMULATOR_PORT   port on 127.0.0.1 (default 4566)
#   STEPWISE_EMULATOR_IMAGE  image for --docker (default localstack/localstack)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
emu_home="${STEPWISE_EMULATOR_HOME:-$HOME/.cache/stepwise/emulator}"
port="${STEPWISE_EMULATOR_PORT:-4566}"
endpoint="http://127.0.0.1:$port"
deadline_s=120

pid_file="$emu_home/localstack.pid"
ddb_pid_file="$emu_home/dynamodb-local.pid"
log_file="$emu_home/localstack.log"
container="stepwise-localstack-$port"

mode="${STEPWISE_EMULATOR:-host}"
for arg in "$@"; do
  case "$arg" in
    --docker) mode=docker ;;
    -h | --help)
      sed -n '2,10s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    *)
      printf 'start: unknown argument %s (try --help)\n' "$arg" >&2
      exit 2
      ;;
  esac
done
[[ "$mode" == host || "$mode" == docker ]] ||
  {
    printf 'start: STEPWISE_EMULATOR must be "host" or "docker", not "%s"\n' "$mode" >&2
    exit 2
  }

say() { printf 'start: %s\n' "$*" >&2; }
die() {
  printf 'start: error: %s\n' "$*" >&2
  exit 1
}

command -v curl >/dev/null 2>&1 || die "curl is needed to check the emulator's health"

# True when the health endpoint lists both services as running.
healthy() {
  local body
  body="$(curl -fsS --max-time 2 "$endpoint/_localstack/health" 2>/dev/null)" || return 1
  grep -Eq '"dynamodb": *"running"' <<<"$body" && grep -Eq '"sqs": *"running"' <<<"$body"
}

# One real JSON-protocol call. LocalStack checks no signature, only that the Authorization
# header names a credential (access key "test" = account 000000000000, the tests' account).
aws_call() {
  local target="$1" service="$2"
  curl -fsS --max-time 10 "$endpoint/" \
    -H "Content-Type: application/x-amz-json-1.0" \
    -H "X-Amz-Target: $target" \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/$service/aws4_request, SignedHeaders=host, Signature=0" \
    -d '{}' 2>/dev/null
}

# DynamoDB Local (a JVM) may only start at the first DynamoDB request, after health already
# says "running"; ListTables answers only once it serves. ListQueues does the same for SQS.
serves() {
  aws_call DynamoDB_20120810.ListTables dynamodb | grep -q '"TableNames"' &&
    aws_call AmazonSQS.ListQueues sqs >/dev/null
}

# Records DynamoDB Local's JVM, a child of LocalStack ($1), once it appears. stop.sh must end
# it by PID too, and if LocalStack dies first the JVM is no longer findable as its child, so
# this runs while waiting, not only once ready (EAGER_SERVICE_LOADING starts it early).
record_ddb_pid() {
  [[ -s "$ddb_pid_file" ]] && return 0
  local pid
  pid="$(pgrep -P "$1" -f DynamoDBLocal.jar | head -n 1 || true)"
  [[ -n "$pid" ]] && printf '%s\n' "$pid" >"$ddb_pid_file"
  return 0
}

# Waits until healthy and serving, or fails at the deadline (or at once when $1, a PID, dies).
# On failure runs $2, if given, to clean up what was started.
wait_ready() {
  local watch_pid="${1:-}" on_failure="${2:-}" start=$SECONDS problem=""
  until healthy && serves; do
    [[ -n "$watch_pid" ]] && record_ddb_pid "$watch_pid"
    if [[ -n "$watch_pid" ]] && ! kill -0 "$watch_pid" 2>/dev/null; then
      problem="LocalStack (PID $watch_pid) exited during start-up"
    elif ((SECONDS - start >= deadline_s)); then
      problem="no healthy DynamoDB + SQS on $endpoint after ${deadline_s}s"
    fi
    if [[ -n "$problem" ]]; then
      [[ -n "$watch_pid" && -f "$log_file" ]] && tail -n 30 "$log_file" >&2
      [[ -n "$on_failure" ]] && "$on_failure" >&2
      die "$problem${watch_pid:+; log: $log_file}"
    fi
    sleep 0.5
  done
  say "ready in $((SECONDS - start))s"
}

# True when something accepts connections on the port (bash's /dev/tcp, no extra tool).
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

stop_ours() { STEPWISE_EMULATOR="$mode" bash "$here/stop.sh"; }

print_endpoint() { printf 'AWS_ENDPOINT_URL=%s\n' "$endpoint"; }

# One start.sh at a time per emulator home (e.g. several test processes starting it at once):
# a second one waits here, then finds the first one's emulator healthy. flock is util-linux;
# without it (macOS) there is no lock.
mkdir -p "$emu_home"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$emu_home/start.lock"
  flock 9
fi

if healthy && serves; then
  say "already running on $endpoint"
  print_endpoint
  exit 0
fi

if [[ "$mode" == docker ]]; then
  command -v docker >/dev/null 2>&1 || die "--docker given but no docker command found"
  image="${STEPWISE_EMULATOR_IMAGE:-localstack/localstack}"
  say "starting container $container from $image"
  # Published on loopback only; --rm so stop.sh leaves nothing behind.
  docker run -d --rm --name "$container" -p "127.0.0.1:$port:4566" \
    -e SERVICES=dynamodb,sqs,sts,s3 -e EAGER_SERVICE_LOADING=1 "$image" >/dev/null ||
    die "docker run failed (see above)"
  wait_ready "" stop_ours
  print_endpoint
  exit 0
fi

# --- host mode ----------------------------------------------------------------------------
# A LocalStack we started earlier that is still booting: wait for it instead of racing it.
if [[ -f "$pid_file" ]]; then
  old_pid="$(cat "$pid_file")"
  if kill -0 "$old_pid" 2>/dev/null && ps -o command= -p "$old_pid" | grep -q localstack.runtime.main; then
    say "LocalStack PID $old_pid is already starting; waiting for it"
    wait_ready "$old_pid" stop_ours
    print_endpoint
    exit 0
  fi
  rm -f "$pid_file" "$ddb_pid_file"
fi

# LocalStack does not fail when its port is taken (it logs "Ready." and serves nothing), so
# look first rather than wait out the deadline.
port_taken && die "127.0.0.1:$port is in use by something that is not a healthy LocalStack; \
stop it or set STEPWISE_EMULATOR_PORT"

# Idempotent and about a second when already installed, so start.sh is the one command.
bash "$here/install.sh" >&2

venv="$emu_home/venv"
say "starting LocalStack on $endpoint (log: $log_file)"
: >"$log_file"
# Host mode, loopback only, no downloads at start-up. OVERRIDE_IN_DOCKER=0 because a machine
# may have /.dockerenv without being LocalStack's container. The port appears in two variables.
# nohup + closed stdin: LocalStack outlives this script and holds none of its caller's pipes,
# nor the start lock (fd 9).
env \
  OVERRIDE_IN_DOCKER=0 \
  FILESYSTEM_ROOT="$emu_home/fs" \
  SERVICES=dynamodb,sqs,sts,s3 \
  DYNAMODB_IN_MEMORY=1 \
  EAGER_SERVICE_LOADING=1 \
  GATEWAY_SERVER=hypercorn \
  GATEWAY_LISTEN="127.0.0.1:$port" \
  LOCALSTACK_HOST="127.0.0.1:$port" \
  SQS_ENDPOINT_STRATEGY=path \
  DNS_ADDRESS=0 \
  DISABLE_EVENTS=1 \
  SKIP_SSL_CERT_DOWNLOAD=1 \
  nohup "$venv/bin/python" -m localstack.runtime.main </dev/null >>"$log_file" 2>&1 9>&- &
ls_pid=$!
printf '%s\n' "$ls_pid" >"$pid_file"

wait_ready "$ls_pid" stop_ours

record_ddb_pid "$ls_pid"
if [[ -s "$ddb_pid_file" ]]; then
  say "LocalStack PID $ls_pid, DynamoDB Local PID $(cat "$ddb_pid_file")"
else
  say "LocalStack PID $ls_pid (DynamoDB Local's JVM not found as its child)"
fi
print_endpoint
