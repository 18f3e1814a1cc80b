# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034  # The machine_* variables are for the sourcing script.
# Sourced by the scripts in testing/vm: the machines they know, and helpers.
# Each machine is a real kernel whose page size is fixed by its configuration.

vm_cache_dir() {
  echo "${XDG_CACHE_HOME:-$HOME/.cache}/granule"
}

# Sets the machine_* variables for machine "$1"; fails naming the choices.
select_machine() {
  machine=$1
  case "$machine" in
    ppc64le-64k)
      machine_page_size=65536
      machine_page_config=CONFIG_PPC_64K_PAGES=y
      machine_deb_arch=ppc64el
      machine_suite=bookworm
      machine_kernel_meta=linux-image-powerpc64le
      machine_kernel_glob='boot/vmlinux-*'
      machine_elf_name=PowerPC64
      machine_cross_gcc=powerpc64le-linux-gnu-gcc
      machine_cross_gcc_package=gcc-powerpc64le-linux-gnu
      machine_static_libc=/usr/powerpc64le-linux-gnu/lib/libc.a
      machine_static_libc_package=libc6-dev-ppc64el-cross
      machine_qemu=qemu-system-ppc64
      machine_qemu_package=qemu-system-ppc
      # x-vof=on skips ~8 s of SLOF firmware. -vga none and -net none: QEMU
      # otherwise stops on ROM files Debian does not ship. The cap-* settings
      # keep TCG from warning about Spectre mitigations it cannot emulate.
      # shellcheck disable=SC2054  # Commas separate QEMU's own sub-options.
      machine_qemu_args=(-M pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off
        -cpu POWER9 -nographic -vga none -net none -no-reboot)
      machine_console=hvc0
      ;;
    arm64-16k)
      machine_page_size=16384
      machine_page_config=CONFIG_ARM64_16K_PAGES=y
      machine_deb_arch=arm64
      machine_suite=trixie
      machine_kernel_meta=linux-image-arm64-16k
      machine_kernel_glob='boot/vmlinuz-*'
      machine_elf_name=AArch64
      machine_cross_gcc=aarch64-linux-gnu-gcc
      machine_cross_gcc_package=gcc-aarch64-linux-gnu
      machine_static_libc=/usr/aarch64-linux-gnu/lib/libc.a
      machine_static_libc_package=libc6-dev-arm64-cross
      machine_qemu=qemu-system-aarch64
      machine_qemu_package=qemu-system-arm
      # pauth-impdef=on: QEMU's architected pointer authentication is slow
      # under TCG; the implementation-defined algorithm is much faster.
      # shellcheck disable=SC2054
      machine_qemu_args=(-M virt -cpu max,pauth-impdef=on -nographic
        -net none -no-reboot)
      machine_console=ttyAMA0
      ;;
    *)
      echo "unknown machine '$machine': expected ppc64le-64k or arm64-16k" >&2
      return 2
      ;;
  esac
}

# Installs the Debian packages among "$@" whose command or files are missing.
# Arguments are pairs: a command (or absolute file) to look for, then the
# package that provides it.
install_missing() {
  local missing=()
  while [ $# -ge 2 ]; do
    if [[ $1 == /* ]]; then
      [ -e "$1" ] || missing+=("$2")
    else
      command -v "$1" >/dev/null || missing+=("$2")
    fi
    shift 2
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
    return 1
  fi
  echo "installing ${missing[*]}" >&2
  # An update error for some unrelated index must not stop us: apt-get
  # install below says clearly whether what we need was found.
  apt-get update -q >&2 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >&2
}

# Sets apt_root and apt_options: a private apt configuration for the
# machine's architecture and suite (its own sources list, state and cache
# folders, one foreign architecture), so that the host's apt setup is never
# touched and no dpkg --add-architecture is needed.
machine_apt() {
  apt_root=$(vm_cache_dir)/apt/$machine_deb_arch-$machine_suite
  mkdir -p "$apt_root/lists/partial" "$apt_root/archives/partial"
  : >"$apt_root/status"  # An empty dpkg status: nothing counts as installed.
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
    "http://deb.debian.org/debian $machine_suite main" >"$apt_root/sources.list"
  # Options on the command line win over every apt.conf.d file of the host.
  apt_options=(
    -o "Dir::Etc::SourceList=$apt_root/sources.list"
    -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::Preferences=/dev/null
    -o Dir::Etc::PreferencesParts=/dev/null
    -o "Dir::State=$apt_root"
    -o "Dir::State::Lists=$apt_root/lists"
    -o "Dir::State::status=$apt_root/status"
    -o "Dir::Cache=$apt_root"
    -o "Dir::Cache::Archives=$apt_root/archives"
    -o "APT::Architecture=$machine_deb_arch"
    -o "APT::Architectures=$machine_deb_arch"
    # apt-get download drops to the _apt user, who cannot write in a root's
    # home; the archive is signed-checked all the same.
    -o APT::Sandbox::User="$(id -un)"
  )
}
