#!/bin/sh
# capture-host.sh - print a sample-host description (README.md) of this host.
#
#   capture-host.sh [SYSFS] > myhost.yaml      (SYSFS defaults to /sys)
#
# Reads only.  Every mdev parent in class/mdev_bus (and any PCI device with
# mdev_supported_types but no class link) is described with its types,
# verbatim, and existing mdevs are listed.  The capacity model cannot be
# read from sysfs: set `capacity:` by hand (see README.md).  Review the
# output before sharing it: it contains device addresses and UUIDs.
set -eu

sys=${1:-/sys}
[ -d "$sys/devices" ] || { echo "capture-host.sh: $sys is no sysfs" >&2; exit 1; }

# YAML double-quoted scalar of a file's content (newlines kept as \n).
quote() {
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' "$1" | awk '
        { s = (NR == 1) ? $0 : s "\\n" $0 }
        END { printf "\"%s\"", s }'
}

# realpath of $1, relative to $sys
relpath() {
    p=$(cd -P "$1" && pwd)
    r=$(cd -P "$sys" && pwd)
    printf '%s\n' "${p#"$r"/}"
}

# name, path and the PCI bits of one parent directory
parent() {
    dir=$1 name=$2
    printf '  - name: "%s"\n    path: %s\n' "$name" "$(relpath "$dir")"
    if [ -L "$dir/driver" ]; then
        printf '    driver: %s\n' "$(basename "$(readlink "$dir/driver")")"
    fi
    bus=""
    if [ -L "$dir/subsystem" ]; then
        bus=$(basename "$(readlink "$dir/subsystem")")
    fi
    if [ -n "$bus" ] && [ "$bus" != pci ]; then
        printf '    bus: %s\n' "$bus"
    fi
    for f in class vendor device; do
        if [ -f "$dir/$f" ]; then
            printf '    %s: "%s"\n' "$f" "$(cat "$dir/$f")"
        fi
    done
    if [ -L "$dir/physfn" ]; then
        printf '    physfn: "%s"\n    capacity: sriov\n' \
            "$(basename "$(readlink "$dir/physfn")")"
    fi
    if [ ! -L "$sys/class/mdev_bus/$name" ]; then
        printf '    omit: [mdev_bus]\n'
    fi
    types "$dir"
}

types() {
    printf '    types:\n'
    for t in "$1"/mdev_supported_types/*; do
        [ -d "$t" ] || continue
        printf '      - id: %s\n' "$(basename "$t")"
        omit=""
        for f in name description device_api available_instances; do
            if [ -f "$t/$f" ]; then
                printf '        %s: %s\n' "$f" "$(quote "$t/$f")"
            elif [ "$f" = device_api ] || [ "$f" = available_instances ]; then
                omit="$omit${omit:+, }$f"
            fi
        done
        if [ -n "$omit" ]; then
            printf '        omit: [%s]\n' "$omit"
        fi
    done
}

printf '# Captured by capture-host.sh from %s on %s (kernel %s).\n' \
    "$sys" "$(hostname 2>/dev/null || echo host)" "$(uname -r)"
printf 'description: %s\n' "$(hostname 2>/dev/null || echo host), captured $(date +%Y-%m-%d)"
printf 'parents:\n'
seen=" "
for link in "$sys"/class/mdev_bus/* "$sys"/bus/pci/devices/*; do
    [ -d "$link/mdev_supported_types" ] || continue
    name=$(basename "$link")
    case $seen in *" $name "*) continue ;; esac
    seen="$seen$name "
    parent "$link" "$name"
done

printf 'mdevs:\n'
for m in "$sys"/bus/mdev/devices/*; do
    [ -L "$m" ] || continue
    dir=$(cd -P "$m" && pwd)
    printf '  - uuid: %s\n    parent: "%s"\n    type: %s\n' "$(basename "$m")" \
        "$(basename "$(dirname "$dir")")" \
        "$(basename "$(cd -P "$dir/mdev_type" && pwd)")"
done
