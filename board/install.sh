#!/bin/sh
# install.sh: install homemmsc as a systemd service on a Raspberry Pi (or
# any Linux machine with systemd). Run it as root from the source tree or
# from a directory holding this script, its board files and a binary:
#
#     sudo ./board/install.sh [--enable-i2c] [--binary PATH]
#
# It picks the binary for this board (uname -m: armv6l → armv6, armv7l →
# armv7, aarch64 → arm64), or builds one when Go is installed; creates the
# system user homemmsc in the groups i2c, dialout and gpio; installs the
# binary, the unit, the udev rule for the modem and /etc/default/homemmsc
# (never overwriting an existing one); reloads udev and systemd; enables
# and (re)starts the service; and prints the MMSC URL for your phones.
# Running it again upgrades the binary and the unit and keeps the
# settings. --uninstall removes what it installed but keeps the messages
# (/var/lib/homemmsc), the settings and the user.
#
# For tests and for preparing an SD card from another machine:
#   ROOT=/mnt/sd  installs under that directory instead of /
#   --no-system   skips what needs a live system: groupadd, useradd,
#                 chown, udevadm, systemctl (ROOT set implies it)
#   --dry-run     prints what it would do and changes nothing
#   UNAME_M=...   pretends to run on that machine type
set -eu

usage() {
	cat <<'EOF'
usage: install.sh [options]
  --enable-i2c     turn on the I2C bus for the OLED (boot config; reboot after)
  --binary PATH    install this binary instead of dist/homemmsc-linux-<arch>
  --dry-run        print what would be done, change nothing
  --no-system      no groupadd/useradd/chown/udevadm/systemctl (for ROOT=)
  --uninstall      remove the service, binary and udev rule; keep data and settings
  -h, --help       this text
environment: ROOT=/prefix (install under it; implies --no-system), UNAME_M=armv6l|armv7l|aarch64|x86_64
EOF
}

ROOT=${ROOT:-}
ROOT=${ROOT%/}
DRY=
NOSYS=
ENABLE_I2C=
UNINSTALL=
BINARY=
while [ $# -gt 0 ]; do
	case $1 in
	--enable-i2c) ENABLE_I2C=1 ;;
	--binary)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		BINARY=$2
		shift
		;;
	--binary=*) BINARY=${1#--binary=} ;;
	--dry-run) DRY=1 ;;
	--no-system) NOSYS=1 ;;
	--uninstall) UNINSTALL=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
[ -z "$ROOT" ] || NOSYS=1

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
USER_NAME=homemmsc
GROUPS_NEEDED="i2c dialout gpio"
BIN=$ROOT/usr/local/bin/homemmsc
UNIT=$ROOT/etc/systemd/system/homemmsc.service
RULE=$ROOT/etc/udev/rules.d/99-homemmsc-modem.rules
DEFAULTS=$ROOT/etc/default/homemmsc
CONFDIR=$ROOT/etc/homemmsc
PHONES=$CONFDIR/phones
MODULES=$ROOT/etc/modules-load.d/homemmsc-i2c.conf

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

# run prints a command and runs it unless --dry-run.
run() {
	say "+ $*"
	[ -n "$DRY" ] || "$@"
}

# sys runs a command that needs a live system, unless --no-system.
sys() {
	if [ -n "$NOSYS" ]; then
		say "  (skipped, --no-system: $*)"
		return 0
	fi
	run "$@"
}

# put installs file src as dst with mode, owner root and group grp.
put() {
	src=$1 dst=$2 mode=$3 grp=${4:-root}
	run mkdir -p "$(dirname "$dst")"
	if [ -n "$NOSYS" ]; then
		run install -m "$mode" "$src" "$dst"
	else
		run install -m "$mode" -o root -g "$grp" "$src" "$dst"
	fi
}

# arch maps `uname -m` to the suffix of the dist/ binaries.
arch() {
	m=${UNAME_M:-$(uname -m)}
	case $m in
	armv6l) echo armv6 ;;
	armv7l | armv8l) echo armv7 ;;
	aarch64 | arm64) echo arm64 ;;
	x86_64 | amd64) echo amd64 ;;
	*) die "no homemmsc binary for machine type $m" ;;
	esac
}

# model is the board's name from the device tree, if it has one.
model() {
	f=$ROOT/proc/device-tree/model
	[ -r "$f" ] || f=/proc/device-tree/model
	if [ -r "$f" ]; then tr -d '\000' <"$f"; else echo "unknown board"; fi
}

# pick_binary finds the binary to install, building it when needed; it
# prints its path.
pick_binary() {
	a=$1
	if [ -n "$BINARY" ]; then
		[ -f "$BINARY" ] || die "--binary $BINARY: no such file"
		echo "$BINARY"
		return
	fi
	for f in "$SRC/dist/homemmsc-linux-$a" "$HERE/homemmsc-linux-$a"; do
		if [ -f "$f" ]; then echo "$f"; return; fi
	done
	command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] ||
		die "no dist/homemmsc-linux-$a and no Go to build it: run 'make pi' on another machine and copy dist/ here, or pass --binary"
	[ -f "$SRC/go.mod" ] || die "no dist/homemmsc-linux-$a and no source tree in $SRC to build from"
	echo "$SRC/bin/homemmsc-linux-$a"
}

# build compiles the appliance for arch a into out.
build() {
	out=$1 a=$2
	case $a in
	armv6) goarch=arm goarm=6 ;;
	armv7) goarch=arm goarm=7 ;;
	*) goarch=$a goarm= ;;
	esac
	gobin=$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)
	version=$(git -C "$SRC" describe --tags --always --dirty 2>/dev/null || echo dev)
	say "building $out with $gobin (version $version)"
	[ -n "$DRY" ] && return 0
	(cd "$SRC" && CGO_ENABLED=0 GOOS=linux GOARCH=$goarch GOARM=$goarm "$gobin" build -trimpath -ldflags "-s -w -X main.version=$version" -o "$out" ./cmd/appliance)
}

ensure_user() {
	for g in $GROUPS_NEEDED; do
		getent group "$g" >/dev/null 2>&1 || sys groupadd --system "$g"
	done
	groups=$(echo "$GROUPS_NEEDED" | tr ' ' ,)
	if [ -z "$NOSYS" ] && id "$USER_NAME" >/dev/null 2>&1; then
		run usermod -a -G "$groups" "$USER_NAME"
	else
		sys useradd --system --user-group --no-create-home --home-dir /var/lib/homemmsc \
			--shell /usr/sbin/nologin --groups "$groups" --comment "homemmsc MMSC" "$USER_NAME"
	fi
}

install_defaults() {
	if [ -e "$DEFAULTS" ]; then
		say "keeping $DEFAULTS (your settings); the new defaults are in $HERE/homemmsc.default"
	else
		# root only: it may hold the SIM PIN; systemd reads it as root.
		put "$HERE/homemmsc.default" "$DEFAULTS" 0600
	fi
	run mkdir -p "$CONFDIR"
	[ -n "$NOSYS" ] || run chown root:"$USER_NAME" "$CONFDIR"
	run chmod 0750 "$CONFDIR"
	if [ -e "$PHONES" ]; then
		say "keeping $PHONES"
		return
	fi
	say "+ writing $PHONES"
	[ -n "$DRY" ] || cat >"$PHONES" <<'EOF'
# The paired phones, one a line: name:number:token
# A token is 16 or more of A-Z a-z 0-9 _ - ; make one with
#     head -c 15 /dev/urandom | base64 | tr '+/' '-_'
# The phone's MMSC URL is then http://<public address>:<port>/mms/<token>.
#Anna's phone:+15551230001:Vx3c9Jr2Lq8Zt1Wm4Nb7
EOF
	[ -n "$NOSYS" ] || run chown root:"$USER_NAME" "$PHONES"
	run chmod 0640 "$PHONES"
}

# boot_config is the Pi's config.txt: /boot/firmware since Bookworm.
boot_config() {
	if [ -f "$ROOT/boot/firmware/config.txt" ]; then
		echo "$ROOT/boot/firmware/config.txt"
	else
		echo "$ROOT/boot/config.txt"
	fi
}

# enable_i2c turns on the ARM I2C bus (GPIO2/3, pins 3 and 5) at the next
# boot and loads i2c-dev, which makes /dev/i2c-1: what
# `raspi-config nonint do_i2c 0` does.
enable_i2c() {
	cfg=$(boot_config)
	if [ -f "$cfg" ] && grep -Eq '^[[:space:]]*dtparam=i2c_arm=on' "$cfg"; then
		say "I2C already on in $cfg"
	elif [ -f "$cfg" ] && grep -Eq '^[[:space:]]*#?[[:space:]]*dtparam=i2c_arm=' "$cfg"; then
		run sed -i -E 's/^[[:space:]]*#?[[:space:]]*dtparam=i2c_arm=.*/dtparam=i2c_arm=on/' "$cfg"
		REBOOT=1
	else
		say "+ appending dtparam=i2c_arm=on to $cfg"
		if [ -z "$DRY" ]; then
			mkdir -p "$(dirname "$cfg")"
			printf '\n# homemmsc: the I2C bus for the OLED\ndtparam=i2c_arm=on\n' >>"$cfg"
		fi
		REBOOT=1
	fi
	if [ ! -e "$MODULES" ]; then
		say "+ writing $MODULES"
		[ -n "$DRY" ] || { mkdir -p "$(dirname "$MODULES")" && echo i2c-dev >"$MODULES"; }
	fi
}

# setting prints a variable's value from the defaults file, or $2.
setting() {
	v=
	[ -r "$DEFAULTS" ] && v=$(sed -n "s/^$1=//p" "$DEFAULTS" | tail -n 1 | tr -d '"')
	echo "${v:-$2}"
}

print_urls() {
	listen=$(setting HOMEMMSC_LISTEN 127.0.0.1:8080)
	port=${listen##*:}
	lan=$(hostname -I 2>/dev/null | awk '{print $1}')
	say ""
	say "homemmsc is installed. Next:"
	say "  - edit $DEFAULTS (display, modem, owner), then: sudo systemctl restart homemmsc"
	say "  - status: systemctl status homemmsc    log: journalctl -u homemmsc -f"
	say "  - on your router, forward TCP port $port to ${lan:-this Pi}:$port"
	say "  - each phone's MMSC URL: http://<your public IP or DNS name>:$port/mms/<the phone's token>"
	[ -z "$lan" ] || say "  - from the LAN, http://$lan:$port/ answers if the service runs"
	if [ -n "${REBOOT:-}" ]; then say "  - reboot to turn on I2C: sudo reboot"; fi
}

do_install() {
	a=$(arch)
	say "board: $(model), machine ${UNAME_M:-$(uname -m)} → homemmsc-linux-$a"
	src=$(pick_binary "$a")
	case $src in "$SRC/bin/"*) build "$src" "$a" ;; esac
	if [ -z "$DRY" ] && [ -z "${UNAME_M:-}" ]; then
		"$src" -version >/dev/null 2>&1 || die "$src does not run here (wrong architecture?)"
	fi
	ensure_user
	put "$src" "$BIN" 0755
	put "$HERE/homemmsc.service" "$UNIT" 0644
	put "$HERE/99-homemmsc-modem.rules" "$RULE" 0644
	install_defaults
	[ -z "$ENABLE_I2C" ] || enable_i2c
	# Without udevd (a container, a chroot) the rule applies at the next boot.
	sys udevadm control --reload || say "warning: udev not reloaded; the modem rule applies after a reboot"
	sys udevadm trigger --subsystem-match=tty --action=change || true
	sys systemctl daemon-reload
	sys systemctl enable homemmsc.service
	if ! sys systemctl restart homemmsc.service; then
		systemctl --no-pager status homemmsc.service || true
		die "the service did not start; its log: journalctl -u homemmsc -n 50"
	fi
	print_urls
}

do_uninstall() {
	sys systemctl disable --now homemmsc.service
	for f in "$UNIT" "$RULE" "$BIN" "$MODULES"; do
		if [ -e "$f" ]; then run rm -f "$f"; fi
	done
	sys systemctl daemon-reload
	sys udevadm control --reload || true
	say "removed. Kept: the messages in $ROOT/var/lib/homemmsc, $DEFAULTS, $CONFDIR, the user $USER_NAME"
	say "(to remove those too: sudo rm -r $ROOT/var/lib/homemmsc $DEFAULTS $CONFDIR; sudo userdel $USER_NAME)"
}

if [ -z "$NOSYS" ] && [ -z "$DRY" ] && [ "$(id -u)" != 0 ]; then
	die "run as root: sudo $0"
fi
REBOOT=
if [ -n "$UNINSTALL" ]; then do_uninstall; else do_install; fi
