# SPDX-License-Identifier: Apache-2.0
# A throwaway PKI for the TLS scenarios, made with openssl. Source it, then
# call pki_make DIR. It creates, all PEM, keys unencrypted:
#   ca.pem ca.key                 the test CA
#   server.pem server.key         CN=collector.test, SAN DNS:collector.test,
#                                 DNS:localhost, IP:127.0.0.1, signed by ca
#   client.pem client.key         CN=gateway.test, SAN DNS:gateway.test,
#                                 clientAuth, signed by ca
#   expired.pem expired.key       like server, but valid for 2020 only
#   other-ca.pem other-ca.key     an unrelated CA
#   other-server.pem other-server.key   server names, signed by other-ca
#   wrongname.pem wrongname.key   signed by ca, only DNS:elsewhere.test and IP:192.0.2.1
# ECDSA P-256 keeps it fast (the whole set takes well under a second).

pki_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# pki_ca DIR NAME CN
pki_ca() {
	local d=$1 n=$2 cn=$3
	pki_key "$d/$n.key"
	openssl req -new -x509 -key "$d/$n.key" -out "$d/$n.pem" -days 30 -subj "/O=ikelogd test/CN=$cn" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# pki_leaf DIR NAME CA CN SAN EKU [DATE-ARGS...]
pki_leaf() {
	local d=$1 n=$2 ca=$3 cn=$4 san=$5 eku=$6
	shift 6
	pki_key "$d/$n.key"
	openssl req -new -key "$d/$n.key" -out "$d/$n.csr" -subj "/O=ikelogd test/CN=$cn" 2>/dev/null
	cat >"$d/$n.ext" <<-EOF
		basicConstraints=critical,CA:FALSE
		keyUsage=critical,digitalSignature,keyAgreement
		extendedKeyUsage=$eku
		subjectAltName=$san
	EOF
	if [ $# -gt 0 ]; then
		# A certificate outside its validity period: openssl ca can set both dates.
		mkdir -p "$d/$n.db"
		: >"$d/$n.db/index.txt"
		cat >"$d/$n.db/ca.cnf" <<-EOF
			[ca]
			default_ca = c
			[c]
			database = $d/$n.db/index.txt
			new_certs_dir = $d/$n.db
			serial = $d/$n.db/serial
			default_md = sha256
			policy = p
			unique_subject = no
			[p]
			commonName = supplied
			organizationName = optional
		EOF
		echo 1000 >"$d/$n.db/serial"
		openssl ca -batch -config "$d/$n.db/ca.cnf" -cert "$d/$ca.pem" -keyfile "$d/$ca.key" \
			-in "$d/$n.csr" -out "$d/$n.pem" -extfile "$d/$n.ext" -notext "$@" 2>/dev/null
	else
		openssl x509 -req -in "$d/$n.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" -CAcreateserial \
			-out "$d/$n.pem" -days 30 -sha256 -extfile "$d/$n.ext" 2>/dev/null
	fi
	rm -f "$d/$n.csr"
}

# pki_make DIR
pki_make() {
	local d=$1
	mkdir -p "$d"
	pki_ca "$d" ca "ikelogd test CA"
	pki_ca "$d" other-ca "some other CA"
	pki_leaf "$d" server ca collector.test "DNS:collector.test,DNS:localhost,IP:127.0.0.1" serverAuth
	pki_leaf "$d" client ca gateway.test "DNS:gateway.test" clientAuth
	pki_leaf "$d" other-server other-ca collector.test "DNS:collector.test,DNS:localhost,IP:127.0.0.1" serverAuth
	pki_leaf "$d" wrongname ca elsewhere.test "DNS:elsewhere.test,IP:192.0.2.1" serverAuth
	pki_leaf "$d" expired ca collector.test "DNS:collector.test,DNS:localhost,IP:127.0.0.1" serverAuth \
		-startdate 20200101000000Z -enddate 20201231000000Z
	chmod 0644 "$d"/*.pem "$d"/*.key
	[ -s "$d/server.pem" ] && [ -s "$d/client.pem" ] && [ -s "$d/expired.pem" ] && [ -s "$d/wrongname.pem" ] &&
		[ -s "$d/other-server.pem" ]
}

# pki_sha256 CERT: the certificate's SHA-256 fingerprint, colon-separated hex.
pki_sha256() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
