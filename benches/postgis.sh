#!/usr/bin/env bash
# Prepares a local PostGIS for `cargo bench --bench postgis` (Debian, run as root):
# installs PostGIS 3 for PostgreSQL 15, starts the cluster, creates the role of the current
# user and the database maillage_bench. Then:
#   MAILLAGE_PG=dbname=maillage_bench cargo bench --bench postgis
set -euo pipefail
if ! dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 postgresql-15-postgis-3
fi
pg_ctlcluster 15 main start 2>/dev/null || true
me=$(id -un)
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = '$me'\"" | grep -q 1 \
  || su postgres -c "createuser --superuser $me"
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'maillage_bench'\"" | grep -q 1 \
  || su postgres -c "createdb --owner $me maillage_bench"
psql -d maillage_bench -qc "CREATE EXTENSION IF NOT EXISTS postgis"
echo "PostGIS prêt : MAILLAGE_PG=dbname=maillage_bench cargo bench --bench postgis"
