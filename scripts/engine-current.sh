#!/usr/bin/env bash
# engine-current.sh: a second, CURRENT Docker Engine for the tests, next to the
# machine's own (Debian 12's 20.10), the way a student who installs Docker now
# gets it: the containerd image store, BuildKit as `docker build`, `docker save`
# writing the OCI layout.
#
#   scripts/engine-current.sh start RUN_DIR [IMAGE...]
#       fetches (cached) and starts the engine, loads IMAGE... from the default
#       engine into it (docker save | docker load), writes RUN_DIR/env (shell
#       assignments: LAYERLAB_ENGINE2_HOST, LAYERLAB_ENGINE2_DOCKER_CONFIG,
#       LAYERLAB_ENGINE2_VERSION) and prints the engine's version last.
#   scripts/engine-current.sh stop RUN_DIR
#       stops the daemon by the pid it recorded, removes the bridge it created,
#       then RUN_DIR with the engine's data.
#   scripts/engine-current.sh fetch
#       only fetches and unpacks (prints the unpacked tree).
#
# Nothing of the system's apt state or its Docker changes:
#   - apt runs with a PRIVATE configuration (APT_CONFIG: no /etc/apt/apt.conf.d,
#     its own sources for Debian unstable, lists, cache and an empty dpkg
#     status) under $LAYERLAB_ENGINE_CACHE (default /var/cache/layerlab-engine);
#     the packages docker.io, containerd and docker-buildx are only downloaded
#     (`apt-get download`) and unpacked (`dpkg-deb -x`) into a folder named
#     after their versions. A second run re-uses it without any download; the
#     package lists are refreshed when older than a day (17 MB, 2 s here).
#   - unstable's runc needs a newer glibc than Debian 12's, so it is not
#     fetched: the daemon's PATH finds the system's /usr/sbin/runc (the
#     runtime keeps its usual name, `runc`, as on a student's machine).
#   - the daemon has its own socket, --data-root, --exec-root, --pidfile,
#     config file and log, all inside RUN_DIR, its own managed containerd
#     (from the unpacked tree, found via PATH), and its own bridge (created
#     here, a free 10.x.y.0/24) with --iptables=false, --ip6tables=false,
#     --ip-forward=false: no firewall rule or sysctl of the host changes.
#
# Docker CLI: the system's one talks to it with DOCKER_HOST=$LAYERLAB_ENGINE2_HOST;
# DOCKER_CONFIG=$LAYERLAB_ENGINE2_DOCKER_CONFIG holds cli-plugins/docker-buildx,
# so `docker build` there is BuildKit.
#
# Needs root (a daemon, a bridge). It is test tooling: it drives the docker CLI.
set -euo pipefail

readonly PACKAGES=(docker.io containerd docker-buildx)
readonly SUITE="${LAYERLAB_ENGINE_SUITE:-sid}"
readonly MIRROR="${LAYERLAB_ENGINE_MIRROR:-http://deb.debian.org/debian}"
readonly CACHE="${LAYERLAB_ENGINE_CACHE:-/var/cache/layerlab-engine}"
readonly START_TIMEOUT=60
readonly LISTS_MAX_AGE_MIN=$((24 * 60))

say() { printf '[engine2] %s\n' "$*" >&2; }
die() {
	printf '[engine2] ERROR: %s\n' "$*" >&2
	exit 1
}

# --- fetch: private apt, download, unpack (cached by versions) ------------------

apt_dir="$CACHE/apt"
private_apt() { # APT_CONFIG file isolating every apt call of this script
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts" \
		"$apt_dir/sources" "$apt_dir/state" "$CACHE/debs"
	[[ -e "$apt_dir/status" ]] || : >"$apt_dir/status"
	cat >"$apt_dir/sources/$SUITE.sources" <<-EOF
		Types: deb
		URIs: $MIRROR
		Suites: $SUITE
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	# Read before /etc/apt/apt.conf.d would be: Dir::Etc::Parts points at an
	# empty folder and Dir::Etc::Main at nothing, so none of the system's apt
	# settings (sources, pins, hooks) apply and none of its state is written.
	cat >"$apt_dir/apt.conf" <<-EOF
		Dir::Etc::Main "/dev/null";
		Dir::Etc::Parts "$apt_dir/parts";
		Dir::Etc::SourceList "/dev/null";
		Dir::Etc::SourceParts "$apt_dir/sources";
		Dir::Etc::Preferences "/dev/null";
		Dir::Etc::PreferencesParts "$apt_dir/parts";
		Dir::State "$apt_dir/state";
		Dir::State::Lists "$apt_dir/lists";
		Dir::State::status "$apt_dir/status";
		Dir::Cache "$apt_dir/cache";
		Dir::Cache::srcpkgcache "";
		Dir::Log "$apt_dir/state";
		Acquire::Languages "none";
		APT::Architectures { "amd64"; };
		APT::Sandbox::User "root";
	EOF
	# Only how the machine reaches its mirror carries over from the system's
	# apt (a proxy; a mirror serving dated snapshots, whose Release files are
	# past Valid-Until, has Check-Valid-Until off). Signatures are still checked.
	local key value
	for key in Acquire::http::Proxy Acquire::Check-Valid-Until Acquire::Check-Date; do
		value="$(apt-config dump "$key" 2>/dev/null | awk -v k="$key" '$1 == k { v = $2 } END { print v }')"
		value="${value%;}"
		[[ -n "$value" && "$value" != '""' ]] && printf '%s %s;\n' "$key" "$value" >>"$apt_dir/apt.conf"
	done
	return 0
}
apt_private() { APT_CONFIG="$apt_dir/apt.conf" "$@"; }

lists_fresh() {
	[[ -n "$(find "$apt_dir/lists" -maxdepth 1 -name '*_Packages' -mmin "-$LISTS_MAX_AGE_MIN" 2>/dev/null)" ]]
}

declare -A version_of=()
read_versions() {
	local package version
	version_of=()
	while read -r package version; do
		version_of[$package]="$version"
	done < <(apt_private apt-cache show --no-all-versions "${PACKAGES[@]}" 2>/dev/null | awk '
		/^Package: / { package = $2 }
		/^Version: / { print package, $2 }')
	for package in "${PACKAGES[@]}"; do [[ -n "${version_of[$package]:-}" ]] || return 1; done
}

# Newest complete unpacked tree, for when the mirror cannot be reached.
cached_tree() {
	local tree
	tree="$(find "$CACHE" -maxdepth 2 -path "$CACHE/trees/*" -type d -name 'docker.io_*' \
		-exec test -e '{}/.complete' ';' -printf '%T@ %p\n' 2>/dev/null | sort -rn | head -n1 | cut -d' ' -f2-)"
	[[ -n "$tree" ]] && printf '%s\n' "$tree"
}

fetch_tree() { # -> prints the unpacked tree
	command -v apt-get >/dev/null || die "apt-get not found: the engine comes from Debian packages"
	command -v dpkg-deb >/dev/null || die "dpkg-deb not found"
	[[ -r /usr/share/keyrings/debian-archive-keyring.gpg ]] ||
		die "no /usr/share/keyrings/debian-archive-keyring.gpg (apt-get install debian-archive-keyring)"
	mkdir -p "$CACHE" || die "cannot create $CACHE (set LAYERLAB_ENGINE_CACHE to a writable folder)"
	private_apt
	if ! lists_fresh || ! read_versions; then
		say "refreshing the package lists of Debian $SUITE (private apt state in $apt_dir)"
		if ! apt_private apt-get update -qq >"$apt_dir/update.log" 2>&1 || ! read_versions; then
			local fallback
			if fallback="$(cached_tree)"; then
				say "WARNING: apt-get update failed ($(tail -n1 "$apt_dir/update.log")); using the cached $fallback"
				printf '%s\n' "$fallback"
				return 0
			fi
			die "apt-get update for Debian $SUITE failed: $(tail -n3 "$apt_dir/update.log" | tr '\n' ' ')"
		fi
	fi
	local key="" package
	for package in "${PACKAGES[@]}"; do key+="${key:+_}${package}_${version_of[$package]//:/%3a}"; done
	local tree="$CACHE/trees/$key"
	if [[ -e "$tree/.complete" ]]; then
		printf '%s\n' "$tree"
		return 0
	fi
	local debs=() deb
	for package in "${PACKAGES[@]}"; do
		deb="$(find "$CACHE/debs" -maxdepth 1 -name "${package}_${version_of[$package]//:/%3a}_*.deb" | head -n1)"
		if [[ -z "$deb" ]]; then
			say "downloading $package ${version_of[$package]}"
			(cd "$CACHE/debs" && apt_private apt-get download -q "$package=${version_of[$package]}" \
				>"$apt_dir/download.log" 2>&1) ||
				die "apt-get download $package=${version_of[$package]} failed: $(tail -n3 "$apt_dir/download.log" | tr '\n' ' ')"
			deb="$(find "$CACHE/debs" -maxdepth 1 -name "${package}_${version_of[$package]//:/%3a}_*.deb" | head -n1)"
			[[ -n "$deb" ]] || die "apt-get download did not leave ${package}_${version_of[$package]}_*.deb in $CACHE/debs"
		fi
		debs+=("$deb")
	done
	rm -rf "$tree.partial"
	mkdir -p "$tree.partial"
	for deb in "${debs[@]}"; do dpkg-deb -x "$deb" "$tree.partial" || die "dpkg-deb -x $deb failed"; done
	# unstable's docker.io ships docker-init as a link to tini-static, another
	# package: `--init` is not used by the tests, so the dangling link goes.
	[[ -e "$tree.partial/usr/bin/docker-init" ]] || rm -f "$tree.partial/usr/bin/docker-init"
	local binary
	for binary in usr/sbin/dockerd usr/sbin/docker-proxy usr/bin/containerd usr/bin/containerd-shim-runc-v2 \
		usr/libexec/docker/cli-plugins/docker-buildx; do
		[[ -x "$tree.partial/$binary" ]] || die "the packages changed their layout: no $binary"
	done
	touch "$tree.partial/.complete"
	mv "$tree.partial" "$tree"
	# Older trees and packages are dead weight once a newer set works, unless
	# an engine of another run is still running from one.
	local old exe in_use
	for old in "$CACHE"/trees/*; do
		[[ -d "$old" && "$old" != "$tree" ]] || continue
		in_use=false
		for exe in /proc/[0-9]*/exe; do
			if [[ "$(readlink "$exe" 2>/dev/null)" == "$old"/* ]]; then in_use=true && break; fi
		done
		$in_use || rm -rf "$old"
	done
	local keep=() name
	for deb in "${debs[@]}"; do keep+=("$(basename "$deb")"); done
	for deb in "$CACHE"/debs/*.deb; do
		name="$(basename "$deb")"
		[[ " ${keep[*]} " == *" $name "* ]] || rm -f "$deb"
	done
	say "unpacked $key"
	printf '%s\n' "$tree"
}

# --- network: a bridge of our own on a free /24 ----------------------------------

ip_to_int() {
	local IFS=. a b c d
	read -r a b c d <<<"$1"
	printf '%s\n' "$(((a << 24) | (b << 16) | (c << 8) | d))"
}
# Every IPv4 prefix the host uses: addresses and routes (all tables).
used_prefixes() {
	{
		ip -4 -o addr show | awk '{ print $4 }'
		ip -4 route show table all | awk '{ print ($1 == "local" || $1 == "broadcast" || $1 == "unreachable" ? $2 : $1) }'
	} | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(/[0-9]+)?$' | sort -u
}
prefix_free() { # 10.x.y.0/24 overlaps none of the host's prefixes
	local net len start end prefix p_net p_len p_start p_end
	net="${1%/*}" len="${1#*/}"
	start="$(ip_to_int "$net")"
	end=$((start + (1 << (32 - len)) - 1))
	while read -r prefix; do
		p_net="${prefix%/*}"
		p_len=32
		[[ "$prefix" == */* ]] && p_len="${prefix#*/}"
		((p_len == 0)) && continue # the default route covers everything
		p_start=$(($(ip_to_int "$p_net") & (0xFFFFFFFF << (32 - p_len)) & 0xFFFFFFFF))
		p_end=$((p_start + (1 << (32 - p_len)) - 1))
		if ((p_start <= end && start <= p_end)); then return 1; fi
	done < <(used_prefixes)
	return 0
}

# --- start ---------------------------------------------------------------------------

start_engine() {
	local run="$1"
	shift
	[[ $EUID -eq 0 ]] || die "needs root: it starts a Docker daemon and creates a network bridge"
	command -v docker >/dev/null || die "the docker CLI is not installed"
	command -v ip >/dev/null || die "ip (iproute2) not found"
	[[ -x /usr/sbin/runc || -n "$(command -v runc)" ]] || die "no runc on this machine (apt-get install runc)"
	local tree
	tree="$(fetch_tree)" || exit 1
	# RUN_DIR belongs to the engine: `stop` deletes it whole.
	if [[ -e "$run" && -n "$(ls -A "$run" 2>/dev/null)" ]]; then
		die "$run is not empty (it becomes the engine's run folder and is deleted by stop)"
	fi
	mkdir -p "$run"
	run="$(cd "$run" && pwd)"
	# A start that fails half-way takes down what it made.
	trap 'if (($? != 0)); then stop_engine "'"$run"'"; fi' EXIT
	printf '%s\n' "$tree" >"$run/tree"
	local sock="$run/docker.sock"
	((${#sock} < 100)) || die "socket path too long for a unix socket: $sock (use a shorter RUN_DIR)"

	# The bridge: a name and a /24 nobody uses; recorded at once so `stop`
	# removes it whatever happens next.
	local bridge subnet="" x y _
	bridge="llab$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	for _ in $(seq 1 50); do
		x=$((200 + RANDOM % 50)) y=$((RANDOM % 256))
		if prefix_free "10.$x.0.0/16"; then
			subnet="10.$x.$y"
			break
		fi
	done
	[[ -n "$subnet" ]] || die "no free 10.x.0.0/16 found for the engine's networks"
	printf '%s\n' "$bridge" >"$run/bridge"
	ip link add "$bridge" type bridge || die "ip link add $bridge type bridge failed"
	ip addr add "$subnet.1/24" dev "$bridge" || die "ip addr add $subnet.1/24 dev $bridge failed"
	ip link set "$bridge" up || die "ip link set $bridge up failed"

	mkdir -p "$run/data" "$run/exec" "$run/cli/cli-plugins"
	# The daemon's networks (user-defined ones too) come from the same /16,
	# away from the default engine's 172.17+ and 192.168 pools.
	cat >"$run/daemon.json" <<-EOF
		{
		  "features": {"containerd-snapshotter": true},
		  "default-address-pools": [{"base": "10.$x.0.0/16", "size": 24}],
		  "mtu": 1400,
		  "log-driver": "json-file",
		  "log-opts": {"max-size": "10m", "max-file": "2"}
		}
	EOF
	ln -s "$tree/usr/libexec/docker/cli-plugins/docker-buildx" "$run/cli/cli-plugins/docker-buildx"
	printf '{}\n' >"$run/cli/config.json"

	# PATH: the unpacked containerd and shim first, then the system's (runc).
	local path="$tree/usr/bin:$tree/usr/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	local runc
	runc="$(PATH="$path" command -v runc)" || die "no runc in $path"
	[[ "$runc" != "$tree"/* ]] || die "unstable's runc was unpacked; the system's must be used"
	say "starting dockerd from $tree (runc: $runc; bridge $bridge $subnet.1/24)"
	# setsid: its own process group, so a ^C meant for the test runner does
	# not reach it before `stop` does; the pid is recorded for `stop`.
	PATH="$path" setsid "$tree/usr/sbin/dockerd" \
		--config-file "$run/daemon.json" \
		--host "unix://$sock" \
		--data-root "$run/data" \
		--exec-root "$run/exec" \
		--pidfile "$run/docker.pid" \
		--bridge "$bridge" \
		--iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
		--userland-proxy-path "$tree/usr/sbin/docker-proxy" \
		</dev/null >"$run/dockerd.log" 2>&1 &
	local pid=$!
	printf '%s\n' "$pid" >"$run/dockerd.pid"

	local host="unix://$sock" deadline=$((SECONDS + START_TIMEOUT)) version=""
	while ((SECONDS < deadline)); do
		kill -0 "$pid" 2>/dev/null || die "dockerd exited at start; its log ($run/dockerd.log):
$(tail -n 15 "$run/dockerd.log")"
		if [[ -S "$sock" ]] && version="$(DOCKER_HOST="$host" timeout 5 docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null)"; then
			break
		fi
		version=""
		sleep 0.5
	done
	[[ -n "$version" ]] || die "dockerd did not answer within ${START_TIMEOUT}s; its log ($run/dockerd.log):
$(tail -n 15 "$run/dockerd.log")"
	local store
	store="$(DOCKER_HOST="$host" docker info --format '{{json .DriverStatus}}')"
	[[ "$store" == *io.containerd.snapshotter* ]] || die "the engine does not use the containerd image store: $store"
	local buildx
	buildx="$(DOCKER_HOST="$host" DOCKER_CONFIG="$run/cli" docker buildx version 2>&1)" ||
		die "docker buildx does not work with DOCKER_CONFIG=$run/cli: $buildx"

	local image started
	for image in "$@"; do
		started=$SECONDS
		docker save "$image" | DOCKER_HOST="$host" docker load -q >/dev/null ||
			die "docker save $image | docker load into the engine failed"
		say "loaded $image ($((SECONDS - started))s)"
	done
	{
		printf 'LAYERLAB_ENGINE2_HOST=%q\n' "$host"
		printf 'LAYERLAB_ENGINE2_DOCKER_CONFIG=%q\n' "$run/cli"
		printf 'LAYERLAB_ENGINE2_VERSION=%q\n' "$version"
	} >"$run/env"
	say "Docker Engine $version, containerd image store, $buildx"
	printf 'Docker Engine %s\n' "$version"
}

# --- stop ------------------------------------------------------------------------------

stop_engine() {
	local run="$1" pid bridge _
	[[ -d "$run" ]] || return 0
	if [[ -s "$run/dockerd.pid" ]]; then
		pid="$(cat "$run/dockerd.pid")"
		# Only the process this script started (its pid, still dockerd).
		local exe
		exe="$(readlink "/proc/$pid/exe" 2>/dev/null)"
		if kill -0 "$pid" 2>/dev/null &&
			[[ "${exe% (deleted)}" == "$(cat "$run/tree" 2>/dev/null)/usr/sbin/dockerd" ]]; then
			kill -TERM "$pid"
			for _ in $(seq 1 150); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.2
			done
			if kill -0 "$pid" 2>/dev/null; then
				say "dockerd $pid did not stop in 30 s: killing it"
				kill -KILL "$pid" 2>/dev/null
			fi
		fi
	fi
	if [[ -s "$run/bridge" ]]; then
		bridge="$(cat "$run/bridge")"
		if [[ "$bridge" == llab* ]] && ip link show "$bridge" >/dev/null 2>&1; then
			ip link delete "$bridge" type bridge || say "WARNING: could not delete bridge $bridge"
		fi
	fi
	# Mounts the engine may have left (overlay snapshots, its exec root).
	local mount
	while read -r mount; do
		umount -l "$mount" 2>/dev/null || true
	done < <(awk -v run="$run/" 'index($2, run) == 1 { print $2 }' /proc/self/mounts | sort -r)
	rm -rf "$run"
}

case "${1:-}" in
start)
	[[ $# -ge 2 ]] || die "usage: $0 start RUN_DIR [IMAGE...]"
	run_dir="$2"
	shift 2
	start_engine "$run_dir" "$@"
	;;
stop)
	[[ $# -eq 2 ]] || die "usage: $0 stop RUN_DIR"
	stop_engine "$2"
	;;
fetch)
	fetch_tree
	;;
*) die "usage: $0 start RUN_DIR [IMAGE...] | stop RUN_DIR | fetch" ;;
esac
