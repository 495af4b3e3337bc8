#!/usr/bin/env bash
# Installs the three system libraries DilatedViT links (and pkg-config, which finds them)
# when any is missing: apt-get as root, sudo otherwise. Sourced by the other scripts.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
for pair in libjpeg:libjpeg-dev libpng:libpng-dev openblas:libopenblas-dev; do
  module=${pair%%:*} package=${pair##*:}
  if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists "$module"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi
