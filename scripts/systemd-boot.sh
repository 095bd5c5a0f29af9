#!/usr/bin/env bash
# Boots deploy/systemd/cloudbill.service under a real systemd (PID 1 of a systemd-nspawn
# container over this machine's /usr, /etc and /var on tmpfs, private network) and checks
# it as an operator would (docs/install.md, "Booted under systemd"):
#   the unit starts (config check, serve, the embedded ClickHouse) as user cloudbill;
#   /metrics answers on 127.0.0.1:9464 with ClickHouse up; systemctl reload reopens the log
#   file; a backup runs in the unit's sandbox; systemctl stop ends serve cleanly.
# Needs root, systemd-container (apt-get install systemd-container) and the Debian
# clickhouse-server package. Usage: scripts/systemd-boot.sh [BINARY] (default bin/cloudbill).
# CLOUDBILL_SYSCALL_FILTER=0 boots the unit without its SystemCallFilter.
set -euo pipefail
bin=$(realpath "${1:-bin/cloudbill}")
repo=$(cd "$(dirname "$0")/.." && pwd)
command -v systemd-nspawn >/dev/null || { echo "systemd-boot: systemd-nspawn missing (apt-get install systemd-container)" >&2; exit 1; }
[ -x "$bin" ] || { echo "systemd-boot: $bin: no binary (make build)" >&2; exit 1; }
work=$(mktemp -d /tmp/cloudbill-systemd.XXXXXX)
machine=cloudbill-$$
mkdir -p "$work/bin" "$work/unit"
cp "$bin" "$work/bin/cloudbill"
cp "$repo/deploy/systemd/cloudbill.service" "$work/unit/cloudbill.service"
if [ "${CLOUDBILL_SYSCALL_FILTER:-1}" = 0 ]; then
  sed -i '/^SystemCallFilter=/d;/^SystemCallErrorNumber=/d' "$work/unit/cloudbill.service"
fi
# the container's accounts: the system ones of this machine and cloudbill
grep -E '^(root|nobody|messagebus|systemd-[a-z-]+):' /etc/passwd >"$work/passwd"
echo 'cloudbill:x:990:990:cloudbill:/var/lib/cloudbill:/usr/sbin/nologin' >>"$work/passwd"
grep -E '^(root|nogroup|messagebus|adm|tty|disk|utmp|kmem|audio|video|input|render|kvm|sgx|users|systemd-[a-z-]+):' /etc/group >"$work/group"
echo 'cloudbill:x:990:' >>"$work/group"
masks=""
for u in clickhouse-server postgresql prometheus systemd-firstboot console-getty systemd-networkd-wait-online; do
  masks="$masks systemd.mask=$u.service"
done
# shellcheck disable=SC2086
systemd-nspawn -D / --volatile=yes --machine="$machine" --register=no --keep-unit --private-network \
  --bind-ro="$work/bin:/usr/local/bin" \
  --bind-ro="$work/unit/cloudbill.service:/etc/systemd/system/cloudbill.service" \
  --bind-ro="$repo/deploy/cloudbill.yaml:/etc/cloudbill/cloudbill.yaml" \
  --bind-ro="$work/passwd:/etc/passwd" --bind-ro="$work/group:/etc/group" \
  -b $masks >"$work/boot.log" 2>&1 </dev/null &
nspawn=$!
cleanup() {
  if [ -n "${init:-}" ]; then nsenter -t "$init" -a systemctl poweroff >/dev/null 2>&1 || true; fi
  for _ in $(seq 60); do kill -0 "$nspawn" 2>/dev/null || break; sleep 1; done
  kill "$nspawn" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "systemd-boot: FAILED: $*" >&2; [ -n "${init:-}" ] && nsenter -t "$init" -a journalctl -u cloudbill --no-pager >&2 || tail -20 "$work/boot.log" >&2; exit 1; }
init=""
for _ in $(seq 120); do
  init=$(pgrep -P "$nspawn" | head -1 || true)
  [ -n "$init" ] && nsenter -t "$init" -a systemctl is-system-running 2>/dev/null | grep -qE 'running|degraded' && break
  sleep 1
done
[ -n "$init" ] || fail "the container did not boot"
inside() { nsenter -t "$init" -a "$@"; }
echo "systemd-boot: systemd $(inside systemctl --version | head -1 | cut -d' ' -f2) is PID 1 of $machine"
inside systemctl start cloudbill || fail "systemctl start cloudbill"
up=""
for _ in $(seq 120); do
  up=$(inside curl -sf http://127.0.0.1:9464/metrics 2>/dev/null | grep '^cloudbill_clickhouse_up ' || true)
  [ "$up" = "cloudbill_clickhouse_up 1" ] && break
  sleep 1
done
[ "$up" = "cloudbill_clickhouse_up 1" ] || fail "/metrics on 127.0.0.1:9464 does not show ClickHouse up"
echo "systemd-boot: active; $up"
users=$(inside ps -o user= -C cloudbill,clickhouse-server | sort -u | tr '\n' ' ')
[ "$users" = "cloudbill " ] || fail "processes run as: $users"
echo "systemd-boot: serve and the embedded ClickHouse run as cloudbill"
inside systemctl reload cloudbill
for _ in $(seq 30); do inside grep -q 'log file reopened' /var/log/cloudbill/cloudbill.log && break; sleep 1; done
inside grep -q 'log file reopened' /var/log/cloudbill/cloudbill.log || fail "reload did not reopen the log file"
echo "systemd-boot: reload reopened /var/log/cloudbill/cloudbill.log"
inside mkdir -p /var/backups/cloudbill
inside chown cloudbill:cloudbill /var/backups/cloudbill
filter=$(grep '^SystemCallFilter=' "$work/unit/cloudbill.service" | cut -d= -f2- || true)
inside systemd-run --quiet --wait --pipe --uid=cloudbill --gid=cloudbill -p NoNewPrivileges=yes -p ProtectSystem=strict \
  -p ReadWritePaths="/var/lib/cloudbill /var/backups/cloudbill" ${filter:+-p SystemCallFilter="$filter" -p SystemCallErrorNumber=EPERM} \
  /usr/local/bin/cloudbill --data-dir /var/lib/cloudbill backup --out /var/backups/cloudbill/check || fail "backup in the unit's sandbox"
inside systemctl stop cloudbill
inside grep -q '"stopped: ' /var/log/cloudbill/cloudbill.log || fail "serve did not log its clean stop"
state=$(inside systemctl show -p ActiveState,Result cloudbill | tr '\n' ' ')
echo "systemd-boot: stopped cleanly ($state)"
if inside sh -c 'grep -qiE "operation not permitted|bad system call" /var/lib/cloudbill/clickhouse/log/*.log'; then
  fail "a system call was refused (see the embedded ClickHouse's log)"
fi
echo "systemd-boot: OK${filter:+ (SystemCallFilter=$filter)}"
