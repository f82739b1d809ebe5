#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Lists the secrets a plutodebug=all log printed, for the redaction leak
test: first the PSK given with --psk, then every hex dump of --min-bytes (16)
bytes or more that pluto's debug output printed as key material or nonce,
each once, as lowercase hex without separators, one per line.

pluto 4.10 prints a dump as a header line ("| emitting 32 raw bytes of IKEv2
nonce into IKEv2 Nonce Payload", "| emitting 256 raw bytes of ikev2 g^x ...",
"| emitting 64 raw bytes of PSK auth ...") followed by lines of up to 16 hex
bytes and their ASCII ("|   4f f9 09 b9  52 d4 ...   O...R.?."). A dump is
kept when its header names key material or a nonce (SECRET_HEADER); packet
dumps, NAT-D hashes, SPIs and traffic selectors are not."""
import argparse
import re
import sys

SECRET_HEADER = re.compile(r"nonce|\bg\^|\bKE\b|key|secret|skeyseed|\bSK_|PSK auth|\bN[ir]\b|keymat|shared", re.I)
NOT_SECRET = re.compile(r"natd|cookie|\bSPI\b|TS IP|sending \d+ bytes|received \d+ bytes", re.I)
DUMP = re.compile(r"^\|\s+((?:[0-9a-f]{2}(?: {1,2}|$)){1,16})", re.I)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--psk", required=True)
    ap.add_argument("--min-bytes", type=int, default=16)
    ap.add_argument("log", nargs="+", help="one pluto's lines per file (dumps of two plutos interleave)")
    a = ap.parse_args()
    out, seen = [a.psk], {a.psk}
    header, blob = "", []

    def flush():
        h = "".join(blob)
        if len(h) >= 2 * a.min_bytes and SECRET_HEADER.search(header) and \
                not NOT_SECRET.search(header) and h not in seen:
            seen.add(h)
            out.append(h)
        blob.clear()

    for path in a.log:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                m = DUMP.match(line)
                if m and header:
                    blob.append(re.sub(r"\s", "", m.group(1)).lower())
                    continue
                flush()
                header = line
        flush()
        header = ""
    sys.stdout.write("".join(x + "\n" for x in out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
