#!/usr/bin/env bash
# Installs the Valhalla routing engine (the PyPI wheel `pyvalhalla`, unpacked: its binaries
# run without Python) and Debian's osmium-tool, idempotently. Prints the directory holding
# valhalla_build_tiles and valhalla_service on its last line.
#
#   bash scripts/valhalla.sh            # cache: ${MAILLAGE_CACHE:-~/.cache/maillage}/valhalla
#   export MAILLAGE_VALHALLA_BIN=$(bash scripts/valhalla.sh | tail -n1)
set -euo pipefail

version="3.9.1"
cache="${MAILLAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/maillage}/valhalla"
dest="$cache/$version"
bin="$dest/valhalla/bin"

if [ ! -x "$bin/valhalla_service" ] || [ ! -x "$bin/valhalla_build_tiles" ]; then
  echo "Installation de Valhalla $version (paquet PyPI pyvalhalla) dans $dest" >&2
  command -v unzip >/dev/null 2>&1 || need_unzip=1
  if [ -n "${need_unzip:-}" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq unzip >/dev/null
  fi
  pip=(python3 -m pip)
  command -v python3 >/dev/null 2>&1 || pip=(pip)
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "${pip[@]}" download --quiet --no-deps --only-binary :all: \
    --platform manylinux_2_28_x86_64 --python-version 3.12 \
    -d "$tmp" "pyvalhalla==$version" >&2
  rm -rf "$dest.partial"
  mkdir -p "$dest.partial"
  unzip -q "$tmp"/pyvalhalla-"$version"-*.whl -d "$dest.partial"
  chmod +x "$dest.partial"/valhalla/bin/*
  rm -rf "$dest"
  mv "$dest.partial" "$dest"
fi

if ! command -v osmium >/dev/null 2>&1; then
  echo "Installation : osmium-tool" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq osmium-tool >/dev/null
fi

"$bin/valhalla_service" --help >/dev/null 2>&1 || "$bin/valhalla_build_tiles" --version >&2
echo "$bin"
