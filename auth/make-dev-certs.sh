#!/usr/bin/env bash
# Makes a development CA and certificates for TLS on both brokers (development and tests only).
#   auth/make-dev-certs.sh [folder]      (default: auth/certs)
# Writes ca.crt/ca.key, server.crt/server.key (for 127.0.0.1 and localhost) and client.crt/client.key
# (CN=client, for brokers that ask for client certificates). Existing files are kept.
set -euo pipefail
dir=${1:-"$(dirname "$0")/certs"}
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
