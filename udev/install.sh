#!/usr/bin/env bash
# cardkit — install the reader udev rules and (optionally) the pn533 blacklist. docs/readers.md
#
#   sudo bash udev/install.sh                 rules + pn533 blacklist, reload udev, unload pn533
#   sudo bash udev/install.sh --no-blacklist  rules only (no PN533/ACR122U reader in use)
#   bash udev/install.sh --root DIR           install into DIR (packaging, tests): no reload
#   sudo bash udev/install.sh --uninstall     remove what this script installed
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root=""
blacklist=1
uninstall=0
group="scard"
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a directory}"; shift 2 ;;
    --no-blacklist) blacklist=0; shift ;;
    --uninstall) uninstall=1; shift ;;
    --group) group="${2:?--group needs a name}"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

rules_dst="$root/etc/udev/rules.d/60-cardkit-readers.rules"
blacklist_dst="$root/etc/modprobe.d/cardkit-blacklist-pn533.conf"

if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root: sudo bash $0" >&2
  exit 1
fi

if [ "$uninstall" -eq 1 ]; then
  rm -f "$rules_dst" "$blacklist_dst"
  echo "removed $rules_dst $blacklist_dst"
else
  install -d -m 0755 "$(dirname "$rules_dst")" "$(dirname "$blacklist_dst")"
  if [ "$group" != "scard" ]; then
    sed "s/GROUP=\"scard\"/GROUP=\"$group\"/" "$here/60-cardkit-readers.rules" > "$rules_dst"
    chmod 0644 "$rules_dst"
  else
    install -m 0644 "$here/60-cardkit-readers.rules" "$rules_dst"
  fi
  echo "installed $rules_dst (group $group)"
  if [ "$blacklist" -eq 1 ]; then
    install -m 0644 "$here/blacklist-pn533.conf" "$blacklist_dst"
    echo "installed $blacklist_dst (pn533/nfc kernel modules blacklisted)"
  fi
fi

[ -n "$root" ] && exit 0

if [ "$uninstall" -eq 0 ] && ! getent group "$group" >/dev/null; then
  groupadd --system "$group"
  echo "created group $group — add users with: sudo usermod -aG $group USER (then log in again)"
fi
if command -v udevadm >/dev/null; then
  udevadm control --reload-rules || true
  udevadm trigger --subsystem-match=usb --action=change || true
fi
if [ "$uninstall" -eq 0 ] && [ "$blacklist" -eq 1 ]; then
  for m in pn533_usb pn533 nfc; do
    if grep -q "^$m " /proc/modules 2>/dev/null; then
      modprobe -r "$m" 2>/dev/null && echo "unloaded kernel module $m" \
        || echo "could not unload $m now (in use); it stays off after a reboot"
    fi
  done
fi
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl restart pcscd 2>/dev/null || true
fi
echo "done — re-plug the reader, then run: cardkit doctor"
