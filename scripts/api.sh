# Shared by scripts/realworld and scripts/fuzz-api: the tools that drive the API from outside
# (hurl, newman, schemathesis), each installed when missing, and a `bocha serve` of its own
# on a free port against a fresh database. Sourced, after scripts/services.sh.

HURL_VERSION=8.0.1
NEWMAN_VERSION=6.2.2
ASYNCAPI_PARSER_VERSION=3.6.6
SCHEMATHESIS_VERSION=4.32.5
OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0

# Debian packages, installed when missing (as root or through sudo).
ensure_debian_packages() { # package...
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "error: install ${missing[*]}" >&2
    return 1
  fi
  echo "Installing ${missing[*]}…"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
    || { as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
}

# hurl, from crates.io (it links libcurl and libxml2, and its build needs libclang).
ensure_hurl() {
  export PATH="$HOME/.cargo/bin:$PATH"
  if hurl --version 2>/dev/null | grep -q "^hurl $HURL_VERSION "; then return 0; fi
  ensure_debian_packages libcurl4-openssl-dev libxml2-dev libclang-dev pkg-config
  echo "Installing hurl $HURL_VERSION (a few minutes)…"
  cargo install hurl --version "$HURL_VERSION" --locked --quiet
}

# newman, from npm, under target/tools so it needs no root.
ensure_newman() {
  local prefix=target/tools/newman
  NEWMAN="$prefix/node_modules/.bin/newman"
  if "$NEWMAN" --version 2>/dev/null | grep -qx "$NEWMAN_VERSION"; then return 0; fi
  command -v npm >/dev/null || ensure_debian_packages nodejs npm
  echo "Installing newman $NEWMAN_VERSION…"
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --silent "newman@$NEWMAN_VERSION" >/dev/null
}

# The AsyncAPI initiative's parser, from npm, to validate the socket's document.
ensure_asyncapi_parser() {
  local prefix=target/tools/asyncapi
  ASYNCAPI_NODE_PATH="$PWD/$prefix/node_modules"
  if grep -qs "\"version\": \"$ASYNCAPI_PARSER_VERSION\"" "$ASYNCAPI_NODE_PATH/@asyncapi/parser/package.json"; then
    return 0
  fi
  command -v npm >/dev/null || ensure_debian_packages nodejs npm
  echo "Installing @asyncapi/parser $ASYNCAPI_PARSER_VERSION…"
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --silent "@asyncapi/parser@$ASYNCAPI_PARSER_VERSION" >/dev/null
}

# schemathesis (and openapi-spec-validator), from PyPI, in a virtualenv under target/tools.
ensure_schemathesis() {
  local venv=target/tools/schemathesis
  SCHEMATHESIS="$PWD/$venv/bin/st"
  OPENAPI_SPEC_VALIDATOR="$PWD/$venv/bin/openapi-spec-validator"
  if "$SCHEMATHESIS" --version 2>/dev/null | grep -q "version $SCHEMATHESIS_VERSION\$" \
    && [ -x "$OPENAPI_SPEC_VALIDATOR" ]; then
    return 0
  fi
  echo "Installing schemathesis $SCHEMATHESIS_VERSION…"
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    # Debian's python3 makes virtualenvs only with python3-venv.
    rm -rf "$venv"
    ensure_debian_packages python3-venv
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Builds bocha and serves it on a free port against a new, empty database, until
# stop_api_server (run on exit). Sets API_HOST (http://127.0.0.1:PORT) and API_LOG.
# Extra settings for the server `start_api_server` starts (`NAME=value` words), e.g. the
# RealWorld suite's compatibility mode.
API_SERVER_ENV=()

start_api_server() { # name (for the database and the log)
  local name=$1 run port
  run=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
  port=$(free_port)
  API_DATABASE="bocha_${name}_$run"
  API_HOST="http://127.0.0.1:$port"
  API_LOG="target/$name-server.log"
  API_MEDIA=$(mktemp -d)
  cargo build --locked --quiet -p app --bin bocha
  trap stop_api_server EXIT
  # Every suite signs many people up from this one address.
  env SIGNUPS_PER_HOUR=1000000 "${API_SERVER_ENV[@]}" \
    BIND="127.0.0.1:$port" \
    DATABASE_URL="postgres://postgres@127.0.0.1:5432/$API_DATABASE" \
    REDIS_PREFIX="bocha-$name-$run" \
    SECRET_KEY="$name-run-$run-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    MASTER_KEY="$name-master-$run-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    MEDIA_DIR="$API_MEDIA" \
    MAIL_DIR="$API_MEDIA/mail" \
    RUST_LOG="${RUST_LOG:-warn}" \
    target/debug/bocha serve >"$API_LOG" 2>&1 &
  API_PID=$!
  if ! wait_for "bocha on $API_HOST" curl -fsS "$API_HOST/readyz"; then
    cat "$API_LOG" >&2
    return 1
  fi
  echo "bocha is serving $API_HOST (database $API_DATABASE, log $API_LOG)"
}

stop_api_server() {
  if [ -n "${API_PID:-}" ]; then
    kill "$API_PID" 2>/dev/null || true
    wait "$API_PID" 2>/dev/null || true
    API_PID=
  fi
  if [ -n "${API_DATABASE:-}" ]; then
    psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists \"$API_DATABASE\" with (force)" >/dev/null 2>&1 || true
    API_DATABASE=
  fi
  [ -n "${API_MEDIA:-}" ] && rm -rf "$API_MEDIA"
  API_MEDIA=
}

# Follows the confirmation link mailed to `$1` by the server `start_api_server` started, through
# the API (an account asks for chats only once its address is confirmed).
confirm_email() { # address
  local token=""
  for _ in $(seq 100); do
    token=$(python3 - "$API_MEDIA/mail" "$1" <<'PY'
import email, glob, re, sys
from email import policy
for path in glob.glob(sys.argv[1] + "/*.eml"):
    with open(path) as file:
        mail = email.message_from_file(file, policy=policy.default)
    if mail["To"] == sys.argv[2] and mail["Subject"] == "Confirm your email address":
        link = re.search(r"/account/confirm/(\S+)", mail.get_content())
        if link:
            print(link.group(1))
            break
PY
)
    [ -n "$token" ] && break
    sleep 0.1
  done
  [ -n "$token" ] || { echo "error: no confirmation mail to $1" >&2; return 1; }
  curl -fsS -H 'Content-Type: application/json' "$API_HOST/api/users/email/confirm" -d "{\"token\":\"$token\"}"
}

# A unique, short id for one run of a suite (usernames are at most 30 characters).
run_id() {
  head -c 5 /dev/urandom | od -An -tx1 | tr -d ' \n'
}
