#!/usr/bin/env python3
# A tiny DNS resolver for the lab host's /etc/resolv.conf: answers one A record (NAME -> ADDR),
# NXDOMAIN for everything else, over UDP on LISTEN:53. Lets tests prove that names a network
# does not hold are forwarded, without any traffic leaving the lab. LISTEN may be IPv6.
#   dns_resolver.py LISTEN NAME ADDR
import socket
import struct
import sys

listen, name, addr = sys.argv[1], sys.argv[2].lower().rstrip("."), sys.argv[3]
s = socket.socket(socket.AF_INET6 if ":" in listen else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((listen, 53))
while True:
    data, peer = s.recvfrom(512)
    if len(data) < 17:
        continue
    qid = struct.unpack("!H", data[:2])[0]
    i, labels = 12, []
    while i < len(data) and data[i]:
        n = data[i]
        labels.append(data[i + 1 : i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    question = data[12 : i + 5]
    qtype = struct.unpack("!H", data[i + 1 : i + 3])[0]
    hit = ".".join(labels).lower() == name
    answers = 1 if hit and qtype == 1 else 0
    reply = struct.pack("!HHHHHH", qid, 0x8180 | (0 if hit else 3), 1, answers, 0, 0) + question
    if answers:
        reply += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(addr)
    s.sendto(reply, peer)
