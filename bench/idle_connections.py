#!/usr/bin/python3
"""Memory a server spends per idle keep-alive connection (bench/run's f-idle scenario).

    idle_connections.py --port PORT --pid PID [--connections N] [--settle S]

Reads the server's VmRSS (the process PID and all its descendants, from /proc), then opens N
connections one after the other, sends one `GET /` on each and reads the whole answer, so every
connection has been through a request and now sits idle in keep-alive. After S seconds (default
2) it reads VmRSS again, checks every socket is still open (a peek without blocking must find
nothing to read, not an end of stream or a reset), and prints one JSON line:
{"connections", "opened", "rss_before", "rss_after", "bytes_per_connection", "closed",
"failed", "open_seconds"}; rss in bytes. Needs a file descriptor per connection (ulimit -n).
"""

import argparse
import errno
import json
import os
import socket
import sys
import time


def descendants(pid):
    """pid and every process below it, from /proc/<pid>/task/<tid>/children."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo.extend(int(child) for child in children.read().split())
            except OSError:
                pass
    return found


def rss_bytes(pid):
    total = 0
    for process in descendants(pid):
        try:
            with open(f"/proc/{process}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def read_answer(sock):
    """Reads one HTTP answer (head + Content-Length body); returns the status code."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed before the answer's head")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the answer's body")
        body += chunk
    return status


def still_open(sock):
    sock.setblocking(False)  # with a timeout set, Python would wait for data before the recv
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""  # b"": peer closed
    except BlockingIOError:
        return True  # EAGAIN: open and idle
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
            return True
        return False  # reset


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True, help="the server's (main) process")
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--settle", type=float, default=2.0)
    args = parser.parse_args()

    request = (f"GET / HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
               "Connection: keep-alive\r\n\r\n").encode()
    rss_before = rss_bytes(args.pid)
    sockets, failed, first_error = [], 0, None
    start = time.monotonic()
    for _ in range(args.connections):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(10)
        try:
            sock.connect((args.host, args.port))
            sock.sendall(request)
            status = read_answer(sock)
            if status != 200:
                raise ConnectionError(f"GET / answered {status}")
        except OSError as error:  # ConnectionError and timeouts included
            failed += 1
            first_error = first_error or repr(error)
            sock.close()
            continue
        sockets.append(sock)
    open_seconds = time.monotonic() - start
    time.sleep(args.settle)
    rss_after = rss_bytes(args.pid)
    closed = sum(1 for sock in sockets if not still_open(sock))
    result = {
        "connections": args.connections,
        "opened": len(sockets),
        "rss_before": rss_before,
        "rss_after": rss_after,
        "bytes_per_connection": (rss_after - rss_before) / max(1, len(sockets)),
        "closed": closed,
        "failed": failed,
        "open_seconds": round(open_seconds, 2),
    }
    if first_error:
        result["first_error"] = first_error
    print(json.dumps(result))
    for sock in sockets:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
