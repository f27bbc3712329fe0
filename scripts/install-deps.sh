#!/usr/bin/env bash
# Install the Debian packages blrchol needs when they are missing and we are
# root on a Debian-like system.  Anywhere else it only names what is missing
# and lets ./configure judge (cluster installs use --with-... paths).
# Extra packages given as arguments (a benchmark's own needs) are added.
set -u
packages=(gcc make autoconf pkg-config libstarpu-dev libopenmpi-dev openmpi-bin
          libopenblas-dev liblapacke-dev libcriterion-dev gnuplot-nox gmsh valgrind "$@")
command -v dpkg-query >/dev/null 2>&1 || exit 0
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "blrchol: missing packages: ${missing[*]} (install them as root, or configure with --with-... paths)" >&2
    exit 0
fi
echo "blrchol: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
    echo "blrchol: apt-get install failed for: ${missing[*]}" >&2
    exit 1
}
