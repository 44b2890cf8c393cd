#!/bin/sh
# Refreshes the vendored front-end libraries of web/vendor/ from npm.
#
# Usage: web/vendor/refresh.sh            # fetch tarballs with `npm pack`
#        TARBALLS=/tmp/pkgs web/vendor/refresh.sh   # use already downloaded tarballs
#
# Only the distribution files the page needs (JS, CSS, images) and the licence files are kept.
set -eu

LEAFLET_VERSION=1.9.4
MARKERCLUSTER_VERSION=1.5.3

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() { # name version -> path of the tarball
    name=$1
    version=$2
    if [ -n "${TARBALLS:-}" ] && [ -f "$TARBALLS/$name-$version.tgz" ]; then
        echo "$TARBALLS/$name-$version.tgz"
    else
        (cd "$work" && npm pack --silent "$name@$version" >/dev/null)
        echo "$work/$name-$version.tgz"
    fi
}

unpack() { # tarball dest
    mkdir -p "$2"
    tar -xzf "$1" -C "$2" --strip-components=1
}

unpack "$(fetch leaflet "$LEAFLET_VERSION")" "$work/leaflet"
unpack "$(fetch leaflet.markercluster "$MARKERCLUSTER_VERSION")" "$work/markercluster"

rm -rf "$here/leaflet" "$here/markercluster"
mkdir -p "$here/leaflet/images" "$here/markercluster"

cp "$work/leaflet/dist/leaflet.js" "$work/leaflet/dist/leaflet.css" "$here/leaflet/"
cp "$work/leaflet/dist/images/"*.png "$here/leaflet/images/"
cp "$work/leaflet/LICENSE" "$here/leaflet/LICENSE"

cp "$work/markercluster/dist/leaflet.markercluster.js" \
    "$work/markercluster/dist/MarkerCluster.css" \
    "$work/markercluster/dist/MarkerCluster.Default.css" "$here/markercluster/"
cp "$work/markercluster/MIT-LICENCE.txt" "$here/markercluster/LICENSE"

# The minified bundles reference their source maps, which are not vendored.
sed -i '/^\/\/# sourceMappingURL=/d' "$here/leaflet/leaflet.js" "$here/markercluster/leaflet.markercluster.js"

cat >"$here/VERSIONS" <<VERSIONS
leaflet $LEAFLET_VERSION (BSD-2-Clause) https://www.npmjs.com/package/leaflet
leaflet.markercluster $MARKERCLUSTER_VERSION (MIT) https://www.npmjs.com/package/leaflet.markercluster
VERSIONS
chmod 644 "$here"/leaflet/* "$here"/leaflet/images/* "$here"/markercluster/* 2>/dev/null || true
echo "vendored leaflet $LEAFLET_VERSION and leaflet.markercluster $MARKERCLUSTER_VERSION into $here"
