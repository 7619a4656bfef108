#!/usr/bin/env python3
"""The programs behind the real_*.pcap captures: ordinary sockets doing
what applications do (TCP Fast Open, an urgent byte, keep-alives, a bulk
transfer through a lossy queue), run by capture_real.sh inside a network
namespace of its own while tcpdump records them. Nothing here is crafted:
the packets are the kernel's.

usage: real_cases.py CASE PORT
"""
import socket
import sys
import threading
import time

HOST = "127.0.0.1"


def serve(port, handle, fastopen=False):
    """A listening socket whose one-connection-at-a-time loop runs handle
    on each accepted socket, in a thread; returns the listening socket."""
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fastopen:
        lsock.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 5)
    lsock.bind((HOST, port))
    lsock.listen(8)

    def loop():
        while True:
            try:
                conn, _ = lsock.accept()
            except OSError:
                return
            with conn:
                handle(conn)

    threading.Thread(target=loop, daemon=True).start()
    return lsock


def read_all(conn):
    while conn.recv(65536):
        pass


def echo_ok(conn):
    conn.recv(4096)
    conn.sendall(b"ok")
    read_all(conn)


def fastopen(port):
    """Two connections: the first SYN asks for a cookie (TFO=R), the
    second carries the cookie and its data (TFO=C), which the server's
    SYN-ACK acknowledges."""
    lsock = serve(port, echo_ok, fastopen=True)
    for text in (b"first, asks for a cookie", b"second, in the SYN"):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.sendto(text, socket.MSG_FASTOPEN, (HOST, port))
        c.recv(16)
        c.close()
        time.sleep(0.05)
    lsock.close()


def urgent(port):
    """Three bytes, then one byte of urgent data (MSG_OOB): URG set."""
    def handle(conn):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
        read_all(conn)
    lsock = serve(port, handle)
    c = socket.create_connection((HOST, port))
    c.sendall(b"abc")
    time.sleep(0.05)
    c.send(b"!", socket.MSG_OOB)
    time.sleep(0.05)
    c.close()
    time.sleep(0.05)
    lsock.close()


def keepalive(port):
    """An idle connection with one-second keep-alives: probes and ACKs."""
    lsock = serve(port, read_all)
    c = socket.create_connection((HOST, port))
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    c.sendall(b"x")
    time.sleep(3.5)
    c.close()
    time.sleep(0.05)
    lsock.close()


def sack_loss(port):
    """A 300 kB download through the namespace's small token bucket: the
    queue drops segments, the receiver SACKs, the sender retransmits."""
    payload = bytes(range(256)) * 1200

    def handle(conn):
        conn.recv(16)
        conn.sendall(payload)
    lsock = serve(port, handle)
    c = socket.create_connection((HOST, port))
    c.sendall(b"get")
    got = 0
    while got < len(payload):
        chunk = c.recv(65536)
        if not chunk:
            break
        got += len(chunk)
    c.close()
    time.sleep(0.1)
    lsock.close()


CASES = {"fastopen": fastopen, "urgent": urgent, "keepalive": keepalive,
         "sack_loss": sack_loss}

if __name__ == "__main__":
    CASES[sys.argv[1]](int(sys.argv[2]))
