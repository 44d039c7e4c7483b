#!/usr/bin/env python3
"""Small TCP peers for the interception and mesh tests (protocols that are not HTTP), run in a
pod as `python3 tcp_peers.py COMMAND ARGS...`:

  greet-server PORT NAME     server speaks first (as SMTP): "220 NAME ready", then "250 ok"
                             to the client's line
  greet-client HOST PORT     prints "<greeting> / <answer>"
  echo-server PORT NAME      answers each line with "NAME <line>" until the client's FIN
  lines-client HOST PORT [--half-close] WORD...
                             sends each WORD as a line and prints each answer; with
                             --half-close sends them all, shuts down writing, then prints
                             everything up to the server's FIN
  eof-server PORT            reads until the client's FIN, then answers how many bytes came
                             and the first one, and closes
  eof-client HOST PORT       sends 100015 bytes starting with a NUL, shuts down writing,
                             prints the answer"""

import socket
import sys
import threading

TIMEOUT_S = 30


def listen(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port)))
    s.listen(16)
    return s


def serve(port, handle):
    s = listen(port)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


def read_to_end(c):
    got = b""
    while True:
        chunk = c.recv(65536)
        if not chunk:
            return got
        got += chunk


def greet_server(port, name):
    def handle(c):
        c.sendall(b"220 " + name.encode() + b" ready\n")
        c.recv(100)
        c.sendall(b"250 ok\n")
        c.close()
    serve(port, handle)


def greet_client(host, port):
    c = socket.create_connection((host, int(port)), timeout=TIMEOUT_S)
    f = c.makefile("rb")
    greeting = f.readline()
    c.sendall(b"HELO web\n")
    print(greeting.decode().strip(), "/", f.readline().decode().strip())


def echo_server(port, name):
    def handle(c):
        f = c.makefile("rwb")
        for line in f:
            f.write(name.encode() + b" " + line)
            f.flush()
        c.close()
    serve(port, handle)


def lines_client(host, port, *words):
    half_close = "--half-close" in words
    words = [w for w in words if w != "--half-close"]
    c = socket.create_connection((host, int(port)), timeout=TIMEOUT_S)
    if half_close:
        c.sendall(b"".join(w.encode() + b"\n" for w in words))
        c.shutdown(socket.SHUT_WR)
        sys.stdout.write(read_to_end(c).decode())
        return
    f = c.makefile("rwb")
    for w in words:
        f.write(w.encode() + b"\n")
        f.flush()
        print(f.readline().decode().strip())


def eof_server(port):
    def handle(c):
        got = read_to_end(c)
        c.sendall(b"got %d bytes starting %a\n" % (len(got), got[:1]))
        c.close()
    serve(port, handle)


def eof_client(host, port):
    c = socket.create_connection((host, int(port)), timeout=TIMEOUT_S)
    c.sendall(b"\x00binary request" + b"x" * 100000)
    c.shutdown(socket.SHUT_WR)
    print(read_to_end(c).decode().strip())


COMMANDS = {"greet-server": greet_server, "greet-client": greet_client, "echo-server": echo_server,
            "lines-client": lines_client, "eof-server": eof_server, "eof-client": eof_client}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
