#!/usr/bin/env bash
# System packages cardkit needs on Debian/Ubuntu: the PC/SC daemon, the vsmartcard virtual reader
# driver (used by the tests and by `cardkit sim serve`), headers to build pyscard, and OpenSSL's CLI
# (the tests build an independent PKI with it); for EAC OpenPACE (cvc-create/cvc-print, the
# independent CV certificate implementation), SoftHSM2 (a PKCS#11 token) and OpenSC (pkcs11-tool).
# Fingerprint scanners: libfprint + its GObject introspection data (capture through PyGObject;
# the tests use its virtual_image driver), and the headers + pkg-config PyGObject builds against.
set -euo pipefail
PKGS=(pcscd libpcsclite-dev pcsc-tools vsmartcard-vpcd swig gcc openssl
      openpace softhsm2 opensc  # EAC: cvc-create/cvc-print, a PKCS#11 token, pkcs11-tool
      libfprint-2-2 gir1.2-fprint-2.0 libgirepository1.0-dev libcairo2-dev pkg-config)
# The counter (issue 14): the teller page is tested in Debian's headless chromium driven by its
# chromedriver (no browser download); the audit trail's PostgreSQL path against a real server.
PKGS+=(chromium chromium-driver postgresql)
PKGS+=(iproute2)  # ip: the test pcscd's private network namespace (loopback up)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "cardkit: apt-get not found; install these packages by hand: ${missing[*]}" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "cardkit: run as root or install sudo to install: ${missing[*]}" >&2; exit 1
  fi
fi
echo "installing system packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
