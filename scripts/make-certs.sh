#!/bin/sh
# make-certs.sh DIR - a throwaway CA and a server certificate for 127.0.0.1 and
# localhost, for make run's TLS listener and the TLS tests. Not for production:
# there, use certificates of your own CA or a public one.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
[ -f server.crt ] && exit 0
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=np-hub demo CA" \
	-keyout ca.key -out ca.crt >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key \
	-out server.csr >/dev/null 2>&1
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > san.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
	-extfile san.ext -out server.crt >/dev/null 2>&1
rm -f server.csr san.ext ca.srl
chmod 600 server.key ca.key
