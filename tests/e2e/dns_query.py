#!/usr/bin/env python3
# One A (or AAAA) query over UDP, no retry: prints the first address of the answer, "refused"
# when port 53 is closed (ICMP port unreachable: what makes a C library's resolver give up at
# once), "none" for an answer without one, "timeout" after 2 s. SERVER of either family.
#   dns_query.py SERVER NAME [A|AAAA]
import socket
import struct
import sys

server, name = sys.argv[1], sys.argv[2]
qtype = 28 if len(sys.argv) > 3 and sys.argv[3] == "AAAA" else 1
q = struct.pack("!HHHHHH", 0x4E44, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack("!HH", qtype, 1)
s = socket.socket(socket.AF_INET6 if ":" in server else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((server, 53))
try:
    s.send(q)
    r = s.recv(512)
except ConnectionRefusedError:
    print("refused")
    sys.exit(0)
except socket.timeout:
    print("timeout")
    sys.exit(0)
an = struct.unpack("!H", r[6:8])[0]
i = 12 + len(q) - 12  # past the question, which the reply repeats
while an > 0 and i + 12 <= len(r):
    rtype, _, _, rdlen = struct.unpack("!HHIH", r[i + 2 : i + 12])
    if rtype == 1 and rdlen == 4:
        print(socket.inet_ntoa(r[i + 12 : i + 16]))
        sys.exit(0)
    if rtype == 28 and rdlen == 16:
        print(socket.inet_ntop(socket.AF_INET6, r[i + 12 : i + 28]))
        sys.exit(0)
    i += 12 + rdlen
    an -= 1
print("none")
