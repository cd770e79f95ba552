#!/usr/bin/python3
"""A loopback HTTP server for tests/integration/httppods.sh and
bench/httppods.sh (the standard library only).

Usage: httppods-server.py PORTFILE [CERT KEY]

It binds 127.0.0.1 on a free port, writes the port to PORTFILE, and serves
until killed (with CERT and KEY, PEM files, over TLS):

  /ok              200 "hello\\n" at once
  /fail            500 "boom\\n"
  /slow?n=N&ms=M   200, N chunks "chunk I\\n", one every M ms (chunked)
  /never           reads the request and never answers
  /big?mb=N        200 with N MiB of "x" (default 100)
  /redirect        302 to itself, forever
  /echo            200, the request as JSON: method, path, headers, body
  /stall           200, one chunk, then nothing (the connection stays)
  /hugeheaders     200 whose headers never end
"""

import json
import socketserver
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def arg(self, name, default):
        q = parse_qs(urlparse(self.path).query)
        return int(q.get(name, [default])[0])

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def answer(self, status, data, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def start_chunked(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Set-Cookie", "session=servers-secret")
        self.end_headers()
        self.wfile.flush()

    def wait_forever(self):
        # Until the client goes: a read returns EOF then.
        try:
            while self.rfile.read(1):
                pass
        except OSError:
            pass

    def route(self):
        path = urlparse(self.path).path
        payload = self.body()
        if path == "/ok":
            self.answer(200, b"hello\n")
        elif path == "/fail":
            self.answer(500, b"boom\n")
        elif path == "/slow":
            self.start_chunked()
            for i in range(self.arg("n", 10)):
                time.sleep(self.arg("ms", 200) / 1000)
                self.chunk(b"chunk %d\n" % i)
            self.chunk(b"")
        elif path == "/never":
            self.wait_forever()
            self.close_connection = True
        elif path == "/stall":
            self.start_chunked()
            self.chunk(b"first\n")
            self.wait_forever()
            self.close_connection = True
        elif path == "/big":
            size = self.arg("mb", 100) * 1024 * 1024
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            block = b"x" * 65536
            for _ in range(size // len(block)):
                self.wfile.write(block)
        elif path == "/redirect":
            self.answer(302, b"", [("Location", "/redirect")])
        elif path == "/hugeheaders":
            self.send_response(200)
            i = 0
            while True:
                self.send_header("X-Filler-%d" % i, "y" * 1000)
                i += 1
                if i % 64 == 0:
                    self.wfile.write(b"".join(self._headers_buffer))
                    self._headers_buffer = []
        elif path == "/echo":
            doc = {"method": self.command, "path": self.path,
                   "headers": dict(self.headers.items()),
                   "body": payload.decode("utf-8", "replace")}
            self.answer(200, json.dumps(doc, sort_keys=True).encode())
        else:
            self.answer(404, b"no such endpoint\n")

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self):
        self.route()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    if len(sys.argv) == 4:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
