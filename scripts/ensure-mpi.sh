#!/usr/bin/env bash
# Installs Open MPI (the library the MPI/ package links, found through pkg-config as ompi-c,
# and mpirun) when missing: apt-get as root, sudo otherwise; and lets mpirun run as root (CI
# containers), which Open MPI refuses unless told. Sourced by scripts/dvit-mpi and
# scripts/test-mpi, after ensure-deps.sh.
set -euo pipefail

missing=()
pkg-config --exists ompi-c || missing+=(libopenmpi-dev)
command -v mpirun >/dev/null 2>&1 || missing+=(openmpi-bin)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
