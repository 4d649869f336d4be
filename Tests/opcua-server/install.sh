#!/usr/bin/env bash
# Installs the OPC UA test server (node-opcua, pinned in package-lock.json) and creates its certificate.
# Idempotent: does nothing when both are already there for this package-lock.json. Safe when several callers
# (two test assemblies, test.sh) run it at once: they take turns on a lock file.
# Needs Node.js >= 20 and npm; installs them from Debian's packages when they are missing.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null || true
  $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

exec 9>.install.lock
flock -w 600 9

stamp=node_modules/.mqttiot-installed
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

if [ ! -f pki/server_certificate.pem ] || [ ! -f pki/own/private/private_key.pem ]; then
  node server.js --prepare >/dev/null
fi
echo "opcua-server: installed"
