#!/usr/bin/env bash
# Makes a development CA and certificates for TLS on both brokers (development and tests only).
#   auth/make-dev-certs.sh [folder]      (default: auth/certs)
# Writes ca.crt/ca.key, server.crt/server.key (for 127.0.0.1 and localhost) and client.crt/client.key
# (CN=client, for brokers that ask for client certificates). Existing files are kept. Into the default folder, it
# also enables Mosquitto's TLS listener: it copies auth/tls.conf into auth/conf.d/, which mosquitto.conf includes.
set -euo pipefail
auth=$(cd "$(dirname "$0")" && pwd)
dir=${1:-"$auth/certs"}
mkdir -p "$dir"
cd "$dir"
[ -f ca.key ] || openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 825 \
  -subj "/CN=MqttIoT development CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
issue() { # name subject extensions
  [ -f "$1.crt" ] && return 0
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 825 -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue server "/CN=localhost" "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
issue client "/CN=client" "extendedKeyUsage=clientAuth"
chmod 600 ./*.key
echo "certificates in $(pwd)"
if [ $# -eq 0 ]; then
  cp "$auth/tls.conf" "$auth/conf.d/tls.conf"
  echo "TLS listener enabled: $auth/conf.d/tls.conf (mosquitto -c mosquitto.conf listens on 8883 too)"
fi
