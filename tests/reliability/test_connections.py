"""Connection floods: no client on the host can take every connection slot.

Why: libmicrohttpd (with epoll) left half-closed connections in CLOSE-WAIT
for its 60 s idle timeout, and its timeout starts again with each byte, so
600 half-closed connections, or slowloris heads trickled forever, made the
daemon answer nothing, and SIGTERM waited for them. Each phase below starts
a real daemon, floods it from one loopback address (or many), and asks
/healthz from 127.0.0.1 meanwhile: the figures (p50/p99/max latency) are
printed. Every error body received must be JSON.

Phases: the issue's target (600 half-closed and 1,000 held open from
127.0.0.3: /healthz within 100 ms); slowloris from 500 addresses (cut by
--header-timeout, then /healthz answers); a trickled second head on a
kept-alive connection (cut too); 1,000 idle connections from 100 addresses
with the soft descriptor limit at 1024 (raised by the daemon); SIGTERM with
hundreds of idle and half-closed connections open (exit within --drain).
"""
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import httpcommon as hc  # noqa: E402
import wmtest  # noqa: E402
from wmtest import check  # noqa: E402

HALF = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Pad: "  # never ends
TARGET_MS = 100.0


def raise_own_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    check(hard >= 4096, f"this test needs 4096 descriptors; the hard limit is {hard}")


def connect_from(source, port, timeout=3.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_response(s, timeout):
    """(status, headers, body) of one response, read to its end."""
    s.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    check(lines and lines[0].startswith("HTTP/1."), f"not an HTTP response: {data[:200]!r}")
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


def expect_json_error(status, headers, body, want, what):
    check(status == want, f"{what}: status {status}, expected {want}: {body[:200]!r}")
    check(headers.get("content-type", "").startswith("application/json"),
          f"{what}: Content-Type {headers.get('content-type')!r}")
    try:
        doc = json.loads(body)
    except ValueError:
        hc.fail(f"{what}: error body is not JSON: {body[:200]!r}")
    err = doc.get("error", {})
    check(isinstance(err.get("code"), str) and err.get("message"), f"{what}: {doc}")
    return err


def healthz(port, source="127.0.0.1", timeout=10.0):
    """Milliseconds to ask /healthz on a new connection and read the answer."""
    start = time.monotonic()
    s = connect_from(source, port, timeout)
    try:
        s.sendall(f"GET /healthz HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n".encode())
        status, _, body = read_response(s, timeout)
    finally:
        s.close()
    check(status == 200, f"/healthz answered {status}: {body[:200]!r}")
    json.loads(body)
    return (time.monotonic() - start) * 1000.0


def figures(name, samples):
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(f"  {name}: /healthz from 127.0.0.1, {len(samples)} asks: "
          f"p50 {statistics.median(samples):.2f} ms, p99 {p99:.2f} ms, max {samples[-1]:.2f} ms")
    return p99, samples[-1]


def sample_healthz(port, stop, out, pause=0.02):
    while not stop.is_set():
        try:
            out.append(healthz(port, timeout=5.0))
        except (OSError, SystemExit) as err:
            out.append(float("inf"))
            print(f"  /healthz failed: {err!r}")
            return
        time.sleep(pause)


def flood_socket(source, port, data=b"", half_close=False):
    """A connection of the flood. The daemon may refuse it (429) and close
    before the data goes: a reset then is the daemon's answer, not an
    error of the test."""
    s = connect_from(source, port)
    try:
        if data:
            s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    return s


def closed_within(sockets, seconds):
    """How many of the sockets the daemon closed within seconds (each read
    to its end: any answer before the close must be a JSON error)."""
    deadline = time.monotonic() + seconds
    closed = 0
    for s in sockets:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            s.settimeout(left)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            if data:
                check_refusal(data)
            closed += 1
        except (socket.timeout, TimeoutError):
            break
        except ConnectionResetError:
            closed += 1
    return closed


def check_refusal(data):
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in
               (l.partition(":") for l in head.decode("latin-1").split("\r\n")[1:])}
    check(status in (408, 429), f"a held connection was answered {status}: {data[:300]!r}")
    expect_json_error(status, headers, body, status, f"refusal {status}")


def phase_target(wiremeter):
    """The issue's target: 600 half-closed connections and 1,000 held open
    (idle or with half a head), all from 127.0.0.3."""
    with hc.Daemon(wiremeter) as d:
        baseline = [healthz(d.port) for _ in range(20)]
        figures("idle daemon", baseline)
        stop, during = threading.Event(), []
        sampler = threading.Thread(target=sample_healthz, args=(d.port, stop, during), daemon=True)
        sampler.start()
        held = []
        start = time.monotonic()
        for i in range(600):
            held.append(flood_socket("127.0.0.3", d.port, HALF, half_close=True))
        for i in range(1000):
            held.append(flood_socket("127.0.0.3", d.port, HALF if i % 2 else b""))
        print(f"  600 half-closed and 1000 held connections from 127.0.0.3 in "
              f"{time.monotonic() - start:.2f} s")
        time.sleep(1.0)
        after = [healthz(d.port) for _ in range(100)]
        stop.set()
        sampler.join()
        figures("during the flood", during)
        p99, worst = figures("with the flood's connections open", after)
        check(worst <= TARGET_MS, f"/healthz took {worst:.1f} ms under the flood (target {TARGET_MS} ms)")
        check(max(during) < 1000, f"/healthz took {max(during):.1f} ms while the flood came in")
        check_sample_refused(held[600:])
        for s in held:
            s.close()
        hc.finish(d)


def check_sample_refused(sockets):
    """Past --max-connections-per-ip (64) the connections of 127.0.0.3 are
    answered a JSON 429 and closed."""
    answered = 0
    for s in sockets[-50:]:
        s.settimeout(2)
        try:
            data = s.recv(65536)
        except (socket.timeout, TimeoutError, ConnectionResetError):
            continue
        if data:
            check_refusal(data)
            answered += 1
    check(answered >= 40, f"only {answered} of the last 50 connections over the per-address limit got a 429")
    print(f"  {answered} of the last 50 held connections were refused with a JSON 429")


def phase_slowloris(wiremeter):
    """500 slowloris heads from 500 addresses (no per-address limit helps):
    they take every slot, until --header-timeout cuts them with a 408."""
    with hc.Daemon(wiremeter, ["--header-timeout", "2"]) as d:
        socks = []
        for i in range(500):
            s = connect_from(f"127.0.{1 + i // 250}.{1 + i % 250}", d.port)
            s.sendall(b"GET /healthz HTTP/1.1\r\n")
            socks.append(s)
        start = time.monotonic()
        stop = threading.Event()

        def trickle():
            while not stop.is_set():
                for s in socks:
                    try:
                        s.send(b"X")
                    except OSError:
                        pass
                time.sleep(0.3)
        t = threading.Thread(target=trickle, daemon=True)
        t.start()
        took = healthz(d.port, timeout=20)
        stop.set()
        t.join()
        print(f"  500 slowloris heads from 500 addresses, --header-timeout 2: "
              f"/healthz answered after {took:.0f} ms")
        check(took < 4500, f"/healthz waited {took:.0f} ms behind trickling heads (--header-timeout 2)")
        closed = closed_within(socks, 6 - (time.monotonic() - start))
        check(closed == len(socks), f"only {closed} of {len(socks)} trickling heads were cut")
        for s in socks:
            s.close()
        samples = [healthz(d.port) for _ in range(50)]
        figures("after the slowloris heads were cut", samples)
        hc.finish(d)


def phase_keepalive_trickle(wiremeter):
    """A valid first request, then a second head trickled on the same
    kept-alive connection: cut by the same deadline."""
    with hc.Daemon(wiremeter, ["--header-timeout", "2"]) as d:
        s = connect_from("127.0.0.1", d.port)
        s.sendall(f"GET /healthz HTTP/1.1\r\nHost: localhost:{d.port}\r\n\r\n".encode())
        status, _, _ = read_response(s, 5)
        check(status == 200, f"first request answered {status}")
        start = time.monotonic()
        s.setblocking(False)
        closed_after = None
        while time.monotonic() - start < 8:
            try:
                s.send(b"G" if time.monotonic() - start < 0.2 else b"x")
            except OSError:
                closed_after = time.monotonic() - start
                break
            try:
                if s.recv(1) == b"":
                    closed_after = time.monotonic() - start
                    break
            except BlockingIOError:
                pass
            except OSError:
                closed_after = time.monotonic() - start
                break
            time.sleep(0.2)
        s.close()
        check(closed_after is not None and closed_after < 3.5,
              f"a trickled second head was not cut within 3.5 s (--header-timeout 2): {closed_after}")
        print(f"  trickled second head on a kept-alive connection cut after {closed_after:.2f} s")
        hc.finish(d)


def low_fd_limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


class LowLimitDaemon(hc.Daemon):
    """A daemon started with the soft descriptor limit at 1024, as many
    shells and service managers give."""

    def start(self, timeout=20):
        import subprocess
        real = subprocess.Popen

        def popen(*a, **kw):
            kw["preexec_fn"] = low_fd_limit
            return real(*a, **kw)
        subprocess.Popen = popen
        try:
            return super().start(timeout)
        finally:
            subprocess.Popen = real


def phase_idle_thousand(wiremeter):
    """1,000 idle connections from 100 addresses, --max-connections 2000,
    soft descriptor limit 1024: the daemon raises its limit and answers."""
    with LowLimitDaemon(wiremeter, ["--max-connections", "2000", "--header-timeout", "30"]) as d:
        socks = [connect_from(f"127.0.3.{1 + i % 100}", d.port) for i in range(1000)]
        time.sleep(1.0)
        samples = [healthz(d.port) for _ in range(50)]
        p99, worst = figures("with 1000 idle connections from 100 addresses", samples)
        check(worst <= TARGET_MS, f"/healthz took {worst:.1f} ms beside 1000 idle connections")
        with open(f"/proc/{d.proc.pid}/limits") as f:
            line = next(l for l in f if l.startswith("Max open files"))
        soft = int(line.split()[3])
        check(soft >= 2000, f"the daemon kept a soft descriptor limit of {soft}")
        print(f"  the daemon raised its soft descriptor limit from 1024 to {soft}")
        for s in socks:
            s.close()
        hc.finish(d)


def phase_sigterm(wiremeter):
    """SIGTERM with 300 half-closed and 300 idle connections and no run:
    the daemon exits within --drain (2 s), status 0."""
    d = hc.Daemon(wiremeter, ["--drain", "2", "--max-connections", "1000"]).start()
    try:
        sigterm_with_connections(d)
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()


def sigterm_with_connections(d):
    socks = []
    for i in range(300):
        socks.append(flood_socket(f"127.0.4.{1 + i % 200}", d.port, HALF, half_close=True))
    for i in range(300):
        socks.append(connect_from(f"127.0.5.{1 + i % 200}", d.port))
    kept = connect_from("127.0.0.1", d.port)
    kept.sendall(f"GET /healthz HTTP/1.1\r\nHost: localhost:{d.port}\r\n\r\n".encode())
    read_response(kept, 5)
    time.sleep(0.5)
    start = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    try:
        rc = d.proc.wait(timeout=10)
    except Exception:
        d.proc.kill()
        d.proc.wait()
        hc.fail(f"no exit within 10 s of SIGTERM with 600 connections open:\n{d.log()}")
    took = time.monotonic() - start
    print(f"  SIGTERM with 600 idle or half-closed connections, --drain 2: exit {rc} after {took:.2f} s")
    check(rc == 0 and took < 2.0, f"exit {rc} after {took:.2f} s (--drain 2)")
    for mark in ("Sanitizer", "runtime error:"):
        check(mark not in d.log(), f"sanitizer report:\n{d.log()}")
    for s in socks + [kept]:
        s.close()
    shutil.rmtree(d.data_dir, ignore_errors=True)


def test(wiremeter):
    raise_own_fd_limit()
    for phase in (phase_target, phase_slowloris, phase_keepalive_trickle,
                  phase_idle_thousand, phase_sigterm):
        start = time.monotonic()
        print(f"{phase.__name__}: {phase.__doc__.splitlines()[0]}")
        try:
            phase(wiremeter)
        except OSError as err:
            hc.fail(f"{phase.__name__}: {err!r}")
        print(f"  ({time.monotonic() - start:.1f} s)")


if __name__ == "__main__":
    wmtest.main(lambda: test(wmtest.binary()))
