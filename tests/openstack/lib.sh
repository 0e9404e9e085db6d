# lib.sh — paths and helpers shared by install.sh, start.sh and stop.sh (sourced, not run).
# Every file the test cloud writes (configs, database files, images, keys, logs, PIDs) lives under
# $NKD_OS_STATE; install.sh and start.sh must be given the same value.

NKD_OS_STATE="${NKD_OS_STATE:-/var/tmp/nkd-test-openstack}"
FIXTURE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ETC="$NKD_OS_STATE/etc"
LOGS="$NKD_OS_STATE/log"
PIDS="$NKD_OS_STATE/run"
DATA="$NKD_OS_STATE/lib"
# Debian's interpreter: a python3 earlier on PATH (pyenv, venv) lacks the OpenStack modules.
PYTHON=/usr/bin/python3
PASSWORD=secret
# Fixed service host name: a changed machine name must not leave a dead compute service behind.
SERVICE_HOST=nkd-os
KEYSTONE=http://127.0.0.1:5000
SQL="mariadb --defaults-file=$ETC/my.cnf -uroot"

exec 3>&2
note() { printf '%s %s: %s\n' "$(date +%T)" "$(basename "$0")" "$*" >&3; }
fail() { note "error: $*"; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# A process group is alive when it holds a process that is not a zombie (PID 1 here reaps late).
group_alive() { ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ {f = 1} END {exit !f}'; }

# run_service NAME COMMAND... : start COMMAND in a new session (its PID is the group id), output to
# $LOGS/NAME.out, group id to $PIDS/NAME.pid. Does nothing when that group is still alive.
run_service() {
  local name=$1; shift
  if [[ -f $PIDS/$name.pid ]] && group_alive "$(cat "$PIDS/$name.pid")"; then return 0; fi
  setsid "$@" >>"$LOGS/$name.out" 2>&1 </dev/null 3>&- &
  echo $! >"$PIDS/$name.pid"
  note "started $name (pid $!)"
}

# stop_service NAME : TERM the recorded group, wait up to 15 s, then KILL what is left of it.
stop_service() {
  local file=$PIDS/$1.pid pid
  [[ -f $file ]] || return 0
  pid=$(cat "$file")
  if group_alive "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 60); do group_alive "$pid" || break; sleep 0.25; done
    if group_alive "$pid"; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
  fi
  rm -f "$file"
}

# await SECONDS WHAT COMMAND... : retry COMMAND every 0.25 s until it succeeds or the time is up.
await() {
  local seconds=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || fail "$what not ready after ${seconds}s; see $LOGS"
    sleep 0.25
  done
}

# Any HTTP answer below 500 means the API is serving (401 included).
answers() { local code; code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1") && (( code > 0 && code < 500 )); }
database_up() { mariadb-admin --defaults-file="$ETC/my.cnf" -uroot ping; }
db_url() { echo "mysql+pymysql://$1:$PASSWORD@127.0.0.1/$2?charset=utf8"; }
