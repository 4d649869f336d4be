#!/usr/bin/env bash
# Installs the OPC UA test server (node-opcua, pinned in package-lock.json) and creates its certificate.
# Idempotent: does nothing when both are already there for this package-lock.json. Safe when several callers
# (two test assemblies, test.sh) run it at once: they take turns on a lock file.
# Needs Node.js >= 20 and npm; installs them from Debian's packages when they are missing.
set -euo pipefail
cd "$(dirname "$0")"

. ../npm-ci.sh

if [ ! -f pki/server_certificate.pem ] || [ ! -f pki/own/private/private_key.pem ]; then
  node server.js --prepare >/dev/null
fi
echo "opcua-server: installed"
