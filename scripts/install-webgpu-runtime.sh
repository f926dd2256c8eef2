#!/usr/bin/env bash
# Installs the WebGPU runtime that a machine without GPU drivers needs for Dawn (npm `webgpu`):
# Mesa 25 lavapipe (software Vulkan) from Debian bookworm-backports plus the Vulkan loader.
# Debian 12's stock Mesa 22.3 lavapipe is rejected by Dawn, hence backports.
# Idempotent: does nothing when a Mesa >= 25 lavapipe ICD is already installed.
# Optional: WITH_CHROMIUM=1 also installs Debian's chromium for the browser smoke test; WITH_ANNDATA=1 installs
# Debian's python3-anndata, the independent reader the interop test opens every h5ad kind this project writes with;
# WITH_REDIS=1 installs Debian's redis-server, the real Redis the job queue's tests start on a free port.
set -euo pipefail

need_sudo() { if [ "$(id -u)" -ne 0 ]; then echo sudo; fi; }
SUDO=$(need_sudo)

have_mesa25() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 25 && dpkg -s libvulkan1 >/dev/null 2>&1
}
have_chromium() { command -v chromium >/dev/null 2>&1; }
have_anndata() { /usr/bin/python3 -c 'import anndata' >/dev/null 2>&1; }
have_redis() { command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; }

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-webgpu-runtime: this script supports Debian/Ubuntu (apt-get). On other systems install a" >&2
  echo "Vulkan driver (Mesa >= 25 lavapipe, or your GPU vendor's) and the Vulkan loader yourself." >&2
  exit 1
fi

updated=0
if ! have_mesa25; then
  . /etc/os-release
  if [ "${VERSION_CODENAME:-}" = "bookworm" ]; then
    list=/etc/apt/sources.list.d/bookworm-backports.list
    if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
      echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee "$list" >/dev/null
    fi
    $SUDO apt-get update -qq; updated=1
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports \
      mesa-vulkan-drivers libegl-mesa0 libgl1-mesa-dri >/dev/null
  else
    $SUDO apt-get update -qq; updated=1
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mesa-vulkan-drivers >/dev/null
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libvulkan1 >/dev/null
fi
echo "install-webgpu-runtime: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"

if [ "${WITH_CHROMIUM:-0}" = "1" ] && ! have_chromium; then
  [ $updated = 1 ] || $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  echo "install-webgpu-runtime: $(chromium --version 2>/dev/null)"
fi

if [ "${WITH_ANNDATA:-0}" = "1" ] && ! have_anndata; then
  [ $updated = 1 ] || $SUDO apt-get update -qq
  updated=1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-anndata >/dev/null
  echo "install-webgpu-runtime: anndata $(/usr/bin/python3 -c 'import anndata; print(anndata.__version__)')"
fi

if [ "${WITH_REDIS:-0}" = "1" ] && ! have_redis; then
  [ $updated = 1 ] || $SUDO apt-get update -qq
  updated=1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
  # the package starts a system service; the tests start their own servers, so the system one is not needed
  ($SUDO systemctl disable --now redis-server >/dev/null 2>&1 || $SUDO service redis-server stop >/dev/null 2>&1) || true
  echo "install-webgpu-runtime: $(/usr/bin/redis-server --version | cut -d' ' -f1-3)"
fi
