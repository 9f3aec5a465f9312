#!/usr/bin/env bash
# The test suite runs against real PostgreSQL and Redis. Make sure both answer; start the local
# servers where they are installed but stopped; otherwise say what is missing and how to get it.
set -u
PG_HOST=${FERRY_TEST_PG_HOST:-127.0.0.1}
PG_PORT=${FERRY_TEST_PG_PORT:-5432}
REDIS_HOST=${FERRY_TEST_REDIS_HOST:-127.0.0.1}
REDIS_PORT=${FERRY_TEST_REDIS_PORT:-6379}

answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() {
  for _ in $(seq 1 30); do answers "$1" "$2" && return 0; sleep 0.5; done
  return 1
}

missing=0
if ! answers "$PG_HOST" "$PG_PORT"; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is stopped: starting the local cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  if ! wait_for "$PG_HOST" "$PG_PORT"; then
    echo "PostgreSQL is not reachable on $PG_HOST:$PG_PORT." >&2
    echo "  Install it (Debian/Ubuntu: sudo apt-get install postgresql) with trust auth for local" >&2
    echo "  connections, or run: docker compose up -d postgres" >&2
    missing=1
  fi
fi
if ! answers "$REDIS_HOST" "$REDIS_PORT"; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "Redis is stopped: starting a local server"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null || true
  fi
  if ! wait_for "$REDIS_HOST" "$REDIS_PORT"; then
    echo "Redis is not reachable on $REDIS_HOST:$REDIS_PORT." >&2
    echo "  Install it (Debian/Ubuntu: sudo apt-get install redis-server), or run: docker compose up -d redis" >&2
    missing=1
  fi
fi
exit $missing
