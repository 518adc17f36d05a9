#!/usr/bin/env bash
# standin-base.sh: builds layerlab's TEST DOUBLE for the Alpine base image.
#
# Why: the test machines reach no container registry and no Alpine package
# repository, yet the homework is "FROM alpine + apk add nginx". This script
# assembles, from Debian packages only (apt-get download + dpkg-deb -x, nothing
# is installed on the host), a small local image SHAPED like Alpine for this
# homework and nothing more:
#   - busybox (static) as /bin/sh and the usual applets;
#   - glibc's loader and libc.so.6 (Debian's nginx is dynamically linked);
#   - /sbin/apk: a busybox sh script that understands `apk update` and
#     `apk add [--no-cache] nginx` and installs Debian's nginx binary from a
#     package archive kept inside the image into Alpine's nginx layout
#     (/etc/nginx/nginx.conf with `include /etc/nginx/http.d/*.conf;`, a 404
#     default.conf, /var/lib/nginx/html, /run/nginx, /var/log/nginx, user nginx).
#     Anything else is refused with a message naming it a test double.
#   - /etc/os-release says ID=layerlab-standin: nothing may mistake it for Alpine.
#
# It is test tooling, so it uses the docker CLI (the product never does).
# The image is tagged layerlab/standin-alpine:<hash of all inputs> and :latest,
# labelled layerlab.managed=true and layerlab.standin=true. A second run with
# the same inputs only checks that the tag exists. Downloads are cached in
# ${LAYERLAB_STANDIN_CACHE:-${XDG_CACHE_HOME:-~/.cache}/layerlab/standin}.
#
# The LAST line of stdout is the image reference; progress goes to stderr.
set -euo pipefail

readonly REPO="layerlab/standin-alpine"
readonly BASE_PACKAGES=(busybox-static libc6)
# nginx's binary and the libraries it links against besides glibc (checked
# below by asking the staged loader to resolve everything inside the rootfs).
readonly NGINX_PACKAGES=(nginx nginx-common libcrypt1 libpcre2-8-0 libssl3 zlib1g)
readonly NGINX_APK_VERSION="1.22.1-r0"

say() { printf '[standin] %s\n' "$*" >&2; }
die() {
	printf '[standin] ERROR: %s\n' "$*" >&2
	exit 1
}

command -v docker >/dev/null || die "docker CLI not found (install docker.io or docker-ce-cli)"
command -v apt-get >/dev/null || die "apt-get not found: the stand-in is assembled from Debian packages"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found"

script_path="$(readlink -f "${BASH_SOURCE[0]}")"
cache_dir="${LAYERLAB_STANDIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/layerlab/standin}"
deb_dir="$cache_dir/debs"
mkdir -p "$deb_dir"

# --- resolve and fetch the packages (cached by exact file name) ----------------

all_packages=("${BASE_PACKAGES[@]}" "${NGINX_PACKAGES[@]}")

# One apt-cache call for all packages (each call costs over a second):
# prints "PACKAGE VERSION ARCH" for every candidate.
candidates() {
	apt-cache show --no-all-versions "${all_packages[@]}" 2>/dev/null | awk '
		/^Package: / { package = $2 }
		/^Version: / { version = $2 }
		/^Architecture: / { arch = $2 }
		/^$/ { if (package != "") print package, version, arch; package = "" }
		END { if (package != "") print package, version, arch }'
}

declare -A version_of=() arch_of=()
read_candidates() {
	local package version arch
	while read -r package version arch; do
		version_of[$package]="$version"
		arch_of[$package]="$arch"
	done < <(candidates)
}
read_candidates
if [[ -z "${version_of[nginx]:-}" ]]; then
	say "apt has no package lists yet: running apt-get update"
	apt-get update -qq >&2 || die "apt-get update failed"
	read_candidates
fi

declare -A deb_of=()
for package in "${all_packages[@]}"; do
	version="${version_of[$package]:-}"
	[[ -n "$version" ]] || die "apt knows no candidate for '$package' (is this Debian 12 with main enabled?)"
	deb="$deb_dir/${package}_${version//:/%3a}_${arch_of[$package]}.deb"
	if [[ ! -s "$deb" ]]; then
		say "downloading $package $version"
		(cd "$deb_dir" && apt-get download -q "$package=$version" >&2 2>"$deb_dir/.download.log") ||
			die "apt-get download $package=$version failed: $(tail -n3 "$deb_dir/.download.log")"
		[[ -s "$deb" ]] || die "apt-get download did not produce $deb"
	fi
	deb_of[$package]="$deb"
done

# --- idempotency: the tag is a hash of this script and the exact packages ------

inputs_hash="$(
	{
		sha256sum "$script_path" | cut -d' ' -f1
		for package in "${all_packages[@]}"; do
			printf '%s %s\n' "$(basename "${deb_of[$package]}")" "$(sha256sum "${deb_of[$package]}" | cut -d' ' -f1)"
		done
	} | sha256sum | cut -c1-16
)"
ref="$REPO:$inputs_hash"

if docker image inspect "$ref" >/dev/null 2>&1; then
	docker tag "$ref" "$REPO:latest"
	say "up to date: $ref"
	printf '%s\n' "$ref"
	exit 0
fi

say "building $ref"
work="$(mktemp -d "${TMPDIR:-/tmp}/layerlab-standin.XXXXXX")"
trap 'rm -rf "$work"' EXIT
unpacked="$work/unpacked"
rootfs="$work/rootfs"
pkgroot="$work/pkg-nginx"
mkdir -p "$unpacked" "$rootfs" "$pkgroot"
for package in "${all_packages[@]}"; do
	dpkg-deb -x "${deb_of[$package]}" "$unpacked/$package"
done

# --- base rootfs: busybox + glibc loader + Alpine-like /etc ---------------------

for dir in bin sbin usr/bin usr/sbin lib/x86_64-linux-gnu lib64 etc/apk dev proc sys \
	home mnt media opt run/lock srv usr/local/bin usr/local/sbin usr/local/lib usr/local/share \
	usr/share/layerlab-standin/packages var/cache/apk var/lib var/log var/empty var/spool \
	var/opt var/local lib/apk/db; do
	mkdir -p "$rootfs/$dir"
done
install -d -m 1777 "$rootfs/tmp" "$rootfs/var/tmp"
install -d -m 0700 "$rootfs/root"
ln -s ../run "$rootfs/var/run"
ln -s ../run/lock "$rootfs/var/lock"

install -m 0755 "$unpacked/busybox-static/bin/busybox" "$rootfs/bin/busybox"
"$rootfs/bin/busybox" --list-full | while read -r applet; do
	[[ "$applet" == */* ]] || continue # e.g. linuxrc: not wanted at /
	[[ -e "$rootfs/$applet" ]] && continue
	mkdir -p "$rootfs/$(dirname "$applet")"
	ln -s /bin/busybox "$rootfs/$applet"
done

glibc_dir="$unpacked/libc6/lib/x86_64-linux-gnu"
[[ -f "$glibc_dir/ld-linux-x86-64.so.2" && -f "$glibc_dir/libc.so.6" ]] ||
	die "libc6 package layout changed: no ld-linux-x86-64.so.2/libc.so.6 in lib/x86_64-linux-gnu"
cp -a "$glibc_dir/ld-linux-x86-64.so.2" "$glibc_dir/libc.so.6" "$rootfs/lib/x86_64-linux-gnu/"
ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$rootfs/lib64/ld-linux-x86-64.so.2"

cat >"$rootfs/etc/os-release" <<'EOF'
NAME="layerlab stand-in for Alpine (test double)"
ID=layerlab-standin
ID_LIKE=alpine
VERSION_ID=3.22
PRETTY_NAME="layerlab stand-in for alpine:3.22 (TEST DOUBLE: busybox + Debian's nginx, not Alpine)"
LAYERLAB_STANDIN_FOR="alpine:3.22"
EOF
cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/:/sbin/nologin
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:root
nogroup:x:65533:
nobody:x:65534:
EOF
cat >"$rootfs/etc/shadow" <<'EOF'
root:*::0:::::
nobody:!::0:::::
EOF
chmod 0640 "$rootfs/etc/shadow"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
printf '/bin/sh\n/bin/ash\n' >"$rootfs/etc/shells"
printf 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nexport PS1="\\h:\\w\\$ "\n' >"$rootfs/etc/profile"
printf 'localhost\n' >"$rootfs/etc/hostname"
printf '# layerlab stand-in: there is no repository; packages come from\n# /usr/share/layerlab-standin/packages inside this image.\n' >"$rootfs/etc/apk/repositories"
: >"$rootfs/etc/apk/world"
: >"$rootfs/lib/apk/db/installed"

cat >"$rootfs/usr/share/layerlab-standin/README" <<'EOF'
This image is layerlab's TEST DOUBLE for alpine:3.22, built by scripts/standin-base.sh
from Debian packages because the test machines cannot reach any container registry or
Alpine package repository. It is busybox + glibc + a fake /sbin/apk that can install
exactly one package, nginx (Debian's build, laid out like Alpine's). Do not use it for
anything but layerlab's tests.
EOF

# --- the one "package": nginx laid out like Alpine's nginx package --------------

nginx_version="$(dpkg-deb -f "${deb_of[nginx]}" Version)"
install -D -m 0755 "$unpacked/nginx/usr/sbin/nginx" "$pkgroot/usr/sbin/nginx"
copy_libs() { # PACKAGE GLOB...: shared objects (with their symlinks) into the same path
	local package="$1" pattern found
	shift
	for pattern in "$@"; do
		found=0
		while IFS= read -r -d '' lib; do
			local rel="${lib#"$unpacked/$package/"}"
			mkdir -p "$pkgroot/$(dirname "$rel")"
			cp -a "$lib" "$pkgroot/$rel"
			found=1
		done < <(find "$unpacked/$package" -name "$pattern" \( -type f -o -type l \) -print0)
		((found)) || die "no $pattern in package $package"
	done
}
copy_libs libcrypt1 'libcrypt.so.1*'
copy_libs libpcre2-8-0 'libpcre2-8.so.0*'
copy_libs libssl3 'libssl.so.3' 'libcrypto.so.3'
copy_libs zlib1g 'libz.so.1*'

nginx_etc="$pkgroot/etc/nginx"
mkdir -p "$nginx_etc/http.d" "$nginx_etc/modules" "$nginx_etc/conf.d"
for file in mime.types fastcgi.conf fastcgi_params scgi_params uwsgi_params; do
	install -m 0644 "$unpacked/nginx-common/etc/nginx/$file" "$nginx_etc/$file"
done
# Alpine's nginx.conf, with the pid file where Alpine keeps it.
cat >"$nginx_etc/nginx.conf" <<'EOF'
# /etc/nginx/nginx.conf (layerlab stand-in, modelled on Alpine's nginx package)

user nginx;

# Set number of worker processes automatically based on number of CPU cores.
worker_processes auto;

# Enables the use of JIT for regular expressions to speed-up their processing.
pcre_jit on;

pid /run/nginx/nginx.pid;

# Configures default error logger.
error_log /var/log/nginx/error.log warn;

# Includes files with directives to load dynamic modules.
include /etc/nginx/modules/*.conf;

# Include files with config snippets into the root context.
include /etc/nginx/conf.d/*.conf;

events {
	# The maximum number of simultaneous connections that can be opened by
	# a worker process.
	worker_connections 1024;
}

http {
	# Includes mapping of file name extensions to MIME types of responses
	# and defines the default type.
	include /etc/nginx/mime.types;
	default_type application/octet-stream;

	# Don't tell nginx version to the clients. Default is 'on'.
	server_tokens off;

	# Specifies the maximum accepted body size of a client request.
	client_max_body_size 1m;

	# Sendfile copies data between one FD and other from within the kernel.
	sendfile on;

	# Causes nginx to attempt to send its HTTP response head in one packet.
	tcp_nopush on;

	# Enable gzipping of responses.
	#gzip on;

	# Set the Vary HTTP header as defined in the RFC 2616. Default is 'off'.
	gzip_vary on;

	# Helper variable for proxying websockets.
	map $http_upgrade $connection_upgrade {
		default upgrade;
		'' close;
	}

	# Specifies the main log format.
	log_format main '$remote_addr - $remote_user [$time_local] "$request" '
			'$status $body_bytes_sent "$http_referer" '
			'"$http_user_agent" "$http_x_forwarded_for"';

	# Sets the path, format, and configuration for a buffered log write.
	access_log /var/log/nginx/access.log main;

	# Includes virtual hosts configs.
	include /etc/nginx/http.d/*.conf;
}
EOF
cat >"$nginx_etc/http.d/default.conf" <<'EOF'
# This is a default site configuration which will simply return 404, preventing
# chance access to any other virtualhost.

server {
	listen 80 default_server;
	listen [::]:80 default_server;

	# Everything is a 404
	location / {
		return 404;
	}

	# You may need this to prevent return 404 recursion.
	location = /404.html {
		internal;
	}
}
EOF
install -D -m 0644 "$unpacked/nginx-common/usr/share/nginx/html/index.html" "$pkgroot/var/lib/nginx/html/index.html"
cat >"$pkgroot/var/lib/nginx/html/50x.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>Error</title></head>
<body><h1>An error occurred.</h1><p>Sorry, the page you are looking for is currently unavailable.</p></body>
</html>
EOF
mkdir -p "$pkgroot/var/lib/nginx/tmp" "$pkgroot/var/log/nginx" "$pkgroot/run/nginx" "$pkgroot/usr/lib/nginx/modules"
ln -s /var/log/nginx "$pkgroot/var/lib/nginx/logs"
ln -s /run/nginx "$pkgroot/var/lib/nginx/run"
ln -s /usr/lib/nginx/modules "$pkgroot/var/lib/nginx/modules"

# Every library nginx needs must resolve inside rootfs + package, never on the host.
check="$work/check"
mkdir -p "$check"
cp -a "$rootfs/." "$check/"
cp -a "$pkgroot/." "$check/"
resolved="$("$check/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
	--library-path "$check/lib/x86_64-linux-gnu:$check/usr/lib/x86_64-linux-gnu" \
	--list "$check/usr/sbin/nginx")" || die "staged loader cannot resolve nginx's libraries"
if grep -v -e "$check/" -e 'linux-vdso' <<<"$resolved" | grep -q '=>'; then
	die "nginx needs libraries outside the stand-in: $(grep -v "$check/" <<<"$resolved" | tr '\n' ' ')"
fi
if grep -q 'not found' <<<"$resolved"; then
	die "nginx needs libraries no package provides: $(grep 'not found' <<<"$resolved" | tr '\n' ' ')"
fi
rm -rf "$check"

package_archive="usr/share/layerlab-standin/packages/nginx-$NGINX_APK_VERSION.tar.gz"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$pkgroot" -cf - . |
	gzip -n -9 >"$rootfs/$package_archive"
cat >"$rootfs/usr/share/layerlab-standin/packages/APKINDEX" <<EOF
C:Q1layerlabstandin
P:nginx
V:$NGINX_APK_VERSION
A:x86_64
S:$(stat -c %s "$rootfs/$package_archive")
T:HTTP and reverse proxy server (Debian's nginx $nginx_version, repackaged by the layerlab stand-in)
U:https://nginx.org/
L:BSD-2-Clause
EOF

# --- /sbin/apk: the package manager test double --------------------------------

cat >"$rootfs/sbin/apk" <<'APK'
#!/bin/sh
# apk TEST DOUBLE from layerlab's stand-in base image (scripts/standin-base.sh).
# It knows one package, nginx, kept inside this image; real Alpine is not here.
set -eu

me="apk (layerlab stand-in, a TEST DOUBLE for Alpine's package repositories)"
pkgdir=/usr/share/layerlab-standin/packages
archive="$pkgdir/nginx-@VERSION@.tar.gz"
cache=/var/cache/apk

refuse() {
	echo "$me: $*" >&2
	echo "$me: only 'apk update' and 'apk add [--no-cache] nginx' work in this stand-in." >&2
	exit 99
}

write_index_cache() {
	mkdir -p "$cache"
	tar -czf "$cache/APKINDEX.layerlab-standin.tar.gz" -C "$pkgdir" APKINDEX
	echo "fetch layerlab-standin (local)/x86_64/APKINDEX.tar.gz"
}

install_nginx() {
	if grep -qx nginx /etc/apk/world 2>/dev/null; then
		echo "OK: nginx is already installed (layerlab stand-in)"
		return 0
	fi
	echo "(1/1) Installing nginx (@VERSION@) from the layerlab stand-in"
	tar -xzf "$archive" -C /
	grep -q '^nginx:' /etc/group || echo 'nginx:x:101:nginx' >>/etc/group
	grep -q '^nginx:' /etc/passwd || echo 'nginx:x:100:101:nginx:/var/lib/nginx:/sbin/nologin' >>/etc/passwd
	grep -q '^nginx:' /etc/shadow 2>/dev/null || echo 'nginx:!::0:::::' >>/etc/shadow
	chown nginx:nginx /var/lib/nginx/tmp /var/log/nginx /run/nginx
	chmod 0700 /var/lib/nginx/tmp
	chmod 0750 /var/log/nginx
	echo nginx >>/etc/apk/world
	printf 'P:nginx\nV:@VERSION@\n\n' >>/lib/apk/db/installed
	echo "OK: nginx installed (layerlab stand-in: Debian's nginx in Alpine's layout)"
}

no_cache=0
update=0
command=""
packages=""
for arg in "$@"; do
	case "$arg" in
	--no-cache) no_cache=1 ;;
	-U | --update-cache) update=1 ;;
	-q | --quiet | -v | --verbose | --no-progress) ;;
	--version | -V)
		echo "apk-tools (layerlab stand-in @VERSION@, TEST DOUBLE)"
		exit 0
		;;
	-*) refuse "option '$arg' is not supported" ;;
	*)
		if [ -z "$command" ]; then
			command="$arg"
		else
			packages="$packages $arg"
		fi
		;;
	esac
done

case "$command" in
update)
	[ -z "$packages" ] || refuse "'apk update' takes no packages"
	write_index_cache
	echo "layerlab stand-in [local]"
	echo "OK: 1 distinct packages available"
	;;
add)
	[ -n "$packages" ] || refuse "'apk add' needs a package name"
	for package in $packages; do
		[ "$package" = nginx ] || refuse "package '$package' is not available here"
	done
	if [ "$no_cache" = 0 ]; then
		# Like apk with a cache: the index and the downloaded package stay in
		# /var/cache/apk, which is exactly what --no-cache avoids.
		write_index_cache
		cp "$archive" "$cache/nginx-@VERSION@.layerlab-standin.apk"
	elif [ "$update" = 1 ]; then
		echo "fetch layerlab-standin (local)/x86_64/APKINDEX.tar.gz"
	fi
	install_nginx
	;;
"") refuse "no command given" ;;
*) refuse "command '$command' is not supported" ;;
esac
APK
sed -i "s/@VERSION@/$NGINX_APK_VERSION/g" "$rootfs/sbin/apk"
chmod 0755 "$rootfs/sbin/apk"

# --- import, self-test, tag ----------------------------------------------------

say "importing $ref"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf - . |
	docker import \
		--change 'LABEL layerlab.managed=true' \
		--change 'LABEL layerlab.standin=true' \
		--change "LABEL layerlab.standin.inputs=$inputs_hash" \
		--change 'LABEL org.opencontainers.image.description="layerlab TEST DOUBLE for alpine:3.22 (busybox + Debian nginx); not Alpine"' \
		--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'CMD ["/bin/sh"]' \
		- "$ref" >/dev/null

# The stand-in is only useful if `apk add --no-cache nginx` yields an nginx whose
# configuration loads; check it now rather than in every test.
if ! selftest="$(docker run --rm --network none --label layerlab.managed=true "$ref" \
	sh -c 'apk add --no-cache nginx && nginx -t && test "$(id -u nginx)" = 100' 2>&1)"; then
	image_id="$(docker image inspect --format '{{.Id}}' "$ref")"
	docker image rm "$image_id" >/dev/null || true
	die "self-test failed, image removed:
$selftest"
fi
docker tag "$ref" "$REPO:latest"
say "built $ref ($(docker image inspect --format '{{.Size}}' "$ref") bytes)"
printf '%s\n' "$ref"
