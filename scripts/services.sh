# Shared by scripts/serve and scripts/test: make sure Postgres and Redis answer on their
# default local ports, starting them when they are installed but not running.
# Sourced, not run.

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

wait_for() { # description, command...
  local what=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "error: $what did not come up within 30 seconds" >&2
  return 1
}

postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }

ensure_postgres() {
  postgres_up && return 0
  echo "Postgres is not answering on 127.0.0.1:5432; starting it…"
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
      as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
  elif command -v systemctl >/dev/null && systemctl list-unit-files postgresql.service >/dev/null 2>&1; then
    as_root systemctl start postgresql || true
  elif command -v brew >/dev/null && brew list --formula 2>/dev/null | grep -q '^postgresql'; then
    brew services start "$(brew list --formula | grep '^postgresql' | head -n1)" || true
  else
    cat >&2 <<'MSG'
error: PostgreSQL is not installed.
  Debian/Ubuntu: sudo apt-get install postgresql
  macOS:         brew install postgresql@16 && brew services start postgresql@16
Bocha expects it on 127.0.0.1:5432 with a `postgres` user that may connect without a password
(or set DATABASE_URL to your own server).
MSG
    return 1
  fi
  wait_for "Postgres" postgres_up
}

redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null; }

ensure_redis() {
  redis_up && return 0
  echo "Redis is not answering on 127.0.0.1:6379; starting it…"
  if command -v redis-server >/dev/null; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir "${TMPDIR:-/tmp}" --logfile "${TMPDIR:-/tmp}/bocha-redis.log" || true
  else
    cat >&2 <<'MSG'
error: Redis is not installed.
  Debian/Ubuntu: sudo apt-get install redis-server
  macOS:         brew install redis && brew services start redis
Bocha expects it on 127.0.0.1:6379 (or set REDIS_URL).
MSG
    return 1
  fi
  wait_for "Redis" redis_up
}

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    echo "error: Rust is not installed; get it from https://rustup.rs" >&2
    return 1
  fi
}
