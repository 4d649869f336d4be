#!/usr/bin/env bash
# Installs what the BLE tests need, when it is missing: a dbus-daemon for the private bus, and Debian's python3
# with python3-dbus and python3-gi for the BlueZ-shaped peer (Tests/Backends/Ble/fake_bluez.py). Idempotent.
set -euo pipefail

missing=()
command -v dbus-daemon >/dev/null 2>&1 || missing+=(dbus-daemon)
[ -x /usr/bin/python3 ] || missing+=(python3)
/usr/bin/python3 -c 'import dbus, dbus.mainloop.glib' >/dev/null 2>&1 || missing+=(python3-dbus)
/usr/bin/python3 -c 'from gi.repository import GLib' >/dev/null 2>&1 || missing+=(python3-gi)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing for the BLE tests: ${missing[*]}"
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || true
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
