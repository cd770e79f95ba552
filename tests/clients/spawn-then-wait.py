#!/usr/bin/python3
"""spawn-then-wait SOCKET DELAY -- CMD...: on one control connection,
spawn CMD, sleep DELAY seconds (the pod ends meanwhile), then wait for it.
Prints the state the wait reports, or "gone" if the daemon had removed
the pod.  A test tool: it speaks the wire with python3-msgpack only."""

import os
import socket
import struct
import sys
import time

import msgpack

VERSION = 5


def send(sock, msg):
    body = msgpack.packb(msg, use_bin_type=True)
    sock.sendall(struct.pack(">I", len(body)) + body)


def recv(sock):
    head = b""
    while len(head) < 4:
        chunk = sock.recv(4 - len(head))
        if not chunk:
            sys.exit("spawn-then-wait: the daemon closed the connection")
        head += chunk
    (n,) = struct.unpack(">I", head)
    body = b""
    while len(body) < n:
        chunk = sock.recv(n - len(body))
        if not chunk:
            sys.exit("spawn-then-wait: the daemon closed the connection")
        body += chunk
    return msgpack.unpackb(body, raw=False)


def main():
    path, delay, argv = sys.argv[1], float(sys.argv[2]), sys.argv[4:]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    send(sock, {"type": "hello", "version": VERSION})
    recv(sock)
    send(sock, {"type": "spawn", "argv": argv, "cwd": os.getcwd()})
    reply = recv(sock)
    if reply["type"] != "ok":
        sys.exit("spawn-then-wait: spawn failed: %r" % (reply,))
    time.sleep(delay)
    send(sock, {"type": "wait", "pods": [str(reply["id"])]})
    state = "gone"
    while True:
        reply = recv(sock)
        if reply["type"] == "pod":
            state = reply["state"]
        elif reply["type"] == "end":
            break
        else:
            sys.exit("spawn-then-wait: wait failed: %r" % (reply,))
    print(state)


main()
