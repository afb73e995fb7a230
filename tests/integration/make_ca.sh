#!/bin/sh
# make_ca.sh DIR - throwaway TLS material for boardpack's local test servers.
#
# Writes into DIR (created if missing):
#   ca.pem, ca.key          a test certificate authority
#   server.pem, server.key  a server certificate signed by it, valid for
#                           127.0.0.1 and localhost (subjectAltName)
#   other-ca.pem            an unrelated CA, for "wrong CA" tests
# Keys are P-256 so generation takes milliseconds.  Nothing here is secret:
# it lives for one test run.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 64
fi
dir=$1
mkdir -p "$dir"
cd "$dir"

newca() {
	# $1 base name, $2 common name
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$1.key" -out "$1.pem" -days 30 -subj "/CN=$2" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

newca ca "boardpack test CA"
newca other-ca "boardpack unrelated test CA"

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null

cat > server.ext <<'EXT'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EXT

openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-out server.pem -days 30 -extfile server.ext 2>/dev/null

rm -f server.csr server.ext ca.srl
chmod 600 ca.key other-ca.key server.key
