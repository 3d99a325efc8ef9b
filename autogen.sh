#!/bin/sh
# autogen.sh - bootstrap the build system.
#
#   ./autogen.sh                  generate ./configure
#   ./autogen.sh --install-deps   first install every build and test
#                                 dependency with apt-get (Debian 12), then
#                                 generate ./configure
set -e
cd "$(dirname "$0")"

DEPS="autoconf automake make gcc clang pkg-config
      libcurl4-openssl-dev libcjson-dev libvirt-dev uuid-dev libyaml-dev
      libxml2-dev libcriterion-dev libfuse3-dev fuse3
      python3-placement python3-keystone python3-keystonemiddleware python3-nova
      python3-prometheus-client mdevctl libvirt-clients curl clang-format
      libclang-rt-14-dev stunnel4 openssl
      postgresql python3-psycopg2 uwsgi-core uwsgi-plugin-python3"

case "${1:-}" in
--install-deps)
    SUDO=
    [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $DEPS
    ;;
"") ;;
*)
    echo "usage: $0 [--install-deps]" >&2
    exit 2
    ;;
esac
mkdir -p m4
autoreconf --install --force
echo "Now run: ./configure && make"
