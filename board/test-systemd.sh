#!/bin/sh
# test-systemd.sh: the service under a real systemd. Boots a throwaway
# container with systemd as PID 1 (systemd-nspawn, host /usr read-only, a
# copy of /etc, no network but loopback), runs board/install.sh in it as a
# person would on the Pi, and checks that
#   - the unit starts (Type=notify: systemd saw READY=1) and shows the
#     process's STATUS line;
#   - the process runs as homemmsc with the i2c, dialout and gpio groups,
#     no capabilities, no_new_privs and a seccomp filter;
#   - it answers a real M-Send.req with an Ok M-Send.conf and stores it in
#     /var/lib/homemmsc, owned by homemmsc;
#   - it feeds the watchdog, and when frozen (SIGSTOP) systemd kills it for
#     a watchdog timeout and starts it again;
#   - install.sh --uninstall stops and removes it and keeps the messages.
# Needs root, systemd-container (systemd-nspawn) and mount namespaces.
#
#     sudo board/test-systemd.sh BINARY     # a homemmsc binary for this machine
#
# Exit status 0 when every check passed, 1 when one failed, 77 when this
# machine cannot boot a container (the reason is printed).
set -eu
BIN=$(realpath "${1:?usage: test-systemd.sh BINARY}")
SRC=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=$(realpath "${CORPUS:-$SRC/../shared/corpus/mms}")
[ -f "$CORPUS/gammu__HelloWorld.mms" ] || { echo "no corpus at $CORPUS"; exit 1; }
command -v systemd-nspawn >/dev/null || { echo "skipped: no systemd-nspawn (apt-get install systemd-container)"; exit 77; }
unshare -m true 2>/dev/null || { echo "skipped: no mount namespaces here"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
R=$work/root
mkdir -p "$R/dev" "$R/proc" "$R/sys" "$R/run" "$R/tmp" "$R/var/lib" "$R/var/log" "$R/usr" "$R/root" "$work/out" "$work/local/bin"
for d in bin sbin lib lib64; do [ -e "/$d" ] && ln -s "usr/$d" "$R/$d"; done
cp -a /etc "$R/etc"
rm -f "$R/etc/os-release" "$R/etc/machine-id"
cp /usr/lib/os-release "$R/etc/os-release"   # nspawn checks it before /usr is mounted
: >"$R/etc/machine-id"
rm -f "$R/etc/default/homemmsc"
rm -rf "$R/etc/homemmsc"
# Only what this test needs starts at boot: none of the host's services.
find "$R/etc/systemd/system" -name '*.wants' -type d -prune -exec rm -rf {} +
mkdir -p "$R/etc/systemd/system/multi-user.target.wants"

cat >"$R/etc/systemd/system/homemmsc-check.service" <<'EOF'
[Unit]
Description=homemmsc checks
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/bin/sh /check.sh
ExecStopPost=/bin/systemctl poweroff
EOF
ln -s /etc/systemd/system/homemmsc-check.service "$R/etc/systemd/system/multi-user.target.wants/"

cat >"$R/check.sh" <<'EOF'
exec >/out/log 2>&1
ok() { echo "ok: $1"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else echo "FAIL: $d"; fi; }
show() { systemctl show -p "$1" --value homemmsc; }
field() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$(show MainPID)/status"; }
gid() { getent group "$1" | cut -d: -f3; }
# stored: the store's log holds the posted PDU byte for byte after the
# first record's line (the layout is in internal/store's doc.go).
stored() {
	log=/var/lib/homemmsc/messages.log
	n=$(head -n 1 "$log" | wc -c)
	tail -c +$((n + 1)) "$log" | head -c "$(stat -c %s /corpus/gammu__HelloWorld.mms)" | cmp -s - /corpus/gammu__HelloWorld.mms
}

finish() {
	echo "--- journal"
	journalctl -u homemmsc --no-pager | tail -n 40
	echo "ALL CHECKS RAN"
	exit 0
}
echo "--- install.sh"
sh /src/board/install.sh --binary /tbin/homemmsc || echo "FAIL: install.sh"
echo "--- the service"
check "active (READY=1 reached systemd)" systemctl is-active --quiet homemmsc
systemctl is-active --quiet homemmsc || finish
echo "StatusText: $(show StatusText)"
check "STATUS line from the process" sh -c 'systemctl show -p StatusText --value homemmsc | grep -q "^serving "'
check "user homemmsc" [ "$(field Uid | cut -f1)" = "$(id -u homemmsc)" ]
groups=" $(field Groups) "
for g in i2c dialout gpio; do check "group $g" sh -c "echo '$groups' | grep -q ' $(gid $g) '"; done
check "no capabilities" [ "$(field CapEff)" = 0000000000000000 ]
check "no_new_privs" [ "$(field NoNewPrivs)" = 1 ]
check "seccomp filter" [ "$(field Seccomp)" = 2 ]
echo "--- an MMS"
code=$(curl -s -o /out/conf.bin -w '%{http_code}' -H 'Content-Type: application/vnd.wap.mms-message' \
	--data-binary @/corpus/gammu__HelloWorld.mms 'http://127.0.0.1:8080/mms?n=%2B15551230000')
check "HTTP 200" [ "$code" = 200 ]
conf=$(od -An -tx1 /out/conf.bin | tr -s ' \n' '  ')
echo "M-Send.conf:$conf"
check "m-send-conf" sh -c "echo '$conf' | grep -q '^ 8c 81 98 '"
check "Response-Status Ok" sh -c "echo '$conf' | grep -q ' 92 80 '"
check "Message-ID" sh -c "echo '$conf' | grep -q ' 8b '"
check "stored byte for byte" stored
check "store owned by homemmsc" [ "$(stat -c %U /var/lib/homemmsc)" = homemmsc ]
echo "--- the watchdog"
mkdir -p /etc/systemd/system/homemmsc.service.d
printf '[Service]\nWatchdogSec=4s\nTimeoutAbortSec=2s\nRestartSec=1s\n' >/etc/systemd/system/homemmsc.service.d/fast.conf
systemctl daemon-reload && systemctl restart homemmsc
t1=$(show WatchdogTimestampMonotonic)
sleep 5
t2=$(show WatchdogTimestampMonotonic)
check "watchdog pinged ($t1 -> $t2)" [ "$t2" -gt "$t1" ]
pid=$(show MainPID)
[ "$pid" -gt 0 ] || { echo "FAIL: no main process"; finish; }
kill -STOP "$pid"
i=0
while [ "$(show MainPID)" = "$pid" ] || [ "$(show ActiveState)" != active ]; do
	i=$((i + 1)); [ $i -lt 30 ] || break; sleep 1
done
check "restarted after a watchdog timeout (pid $pid -> $(show MainPID), NRestarts $(show NRestarts))" \
	sh -c "[ $(show NRestarts) -ge 1 ] && journalctl -u homemmsc --no-pager | grep -q 'Watchdog timeout'"
check "active again" systemctl is-active --quiet homemmsc
echo "--- uninstall"
rm -r /etc/systemd/system/homemmsc.service.d
sh /src/board/install.sh --uninstall || echo "FAIL: install.sh --uninstall"
check "stopped" sh -c '! systemctl is-active --quiet homemmsc'
check "messages kept" stored
finish
EOF

status=0
timeout 180 unshare -m sh -c "mount -t tmpfs tmpfs /run && exec systemd-nspawn -q --register=no --keep-unit \
	--private-network -D '$R' --bind-ro=/usr --bind='$work/local':/usr/local --bind-ro='$SRC':/src --bind-ro='$BIN':/tbin/homemmsc \
	--bind-ro='$CORPUS':/corpus --bind='$work/out':/out -b" >"$work/boot.log" 2>&1 || status=$?
if [ ! -s "$work/out/log" ]; then
	echo "skipped: the container did not boot (systemd-nspawn exit $status):"
	tail -n 20 "$work/boot.log"
	exit 77
fi
cat "$work/out/log"
grep -q '^ALL CHECKS RAN$' "$work/out/log" || { echo "FAIL: the checks did not finish"; exit 1; }
if grep -q '^FAIL' "$work/out/log"; then exit 1; fi
echo "PASS: every check"
