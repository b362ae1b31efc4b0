#!/usr/bin/env python3
"""The raw Python peer of the QMP speed benchmark (docs/benchmarks.md, section 3).

    python3 qmp_sequential.py SOCKET MILLISECONDS

Connects to a QMP monitor's Unix socket with nothing but the standard library, reads the
greeting, negotiates with qmp_capabilities, sends one query-status to warm up, then for the
given time writes {"execute":"query-status"} lines and reads their replies one at a time: the
next command goes only once the reply to the last has arrived. Events are skipped.

Prints, for QmpPeerOutput.parse on the Java side:
    ops N            the round trips measured
    seconds S        the time they took, from the first send to the last reply
    ns L             one line per round trip: its latency, send to reply, in nanoseconds
Exits 1 with a message on stderr if the monitor errs or closes.
"""

import socket
import sys
import time

REQUEST = b'{"execute":"query-status"}\n'


def reply(stream):
    """The next line that is not an event; fails on an error reply or a closed socket."""
    while True:
        line = stream.readline()
        if not line:
            raise RuntimeError("the monitor closed the connection")
        if line.startswith(b'{"return"'):
            return line
        if not line.startswith(b'{"event"'):
            raise RuntimeError("unexpected reply: " + line.decode("utf-8", "replace").strip())


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: qmp_sequential.py SOCKET MILLISECONDS\n")
        return 2
    path, millis = sys.argv[1], int(sys.argv[2])
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(path)
    stream = sock.makefile("rb")
    greeting = stream.readline()
    if not greeting.startswith(b'{"QMP"'):
        raise RuntimeError("not a QMP monitor: " + greeting.decode("utf-8", "replace").strip())
    sock.sendall(b'{"execute":"qmp_capabilities"}\n')
    reply(stream)
    sock.sendall(REQUEST)
    reply(stream)

    latencies = []
    clock = time.perf_counter_ns
    start = clock()
    end = start + millis * 1_000_000
    now = start
    while now < end:
        sock.sendall(REQUEST)
        reply(stream)
        done = clock()
        latencies.append(done - now)
        now = done
    sock.close()

    out = ["ops %d" % len(latencies), "seconds %.9f" % ((now - start) / 1e9)]
    out.extend("ns %d" % n for n in latencies)
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, RuntimeError) as e:
        sys.stderr.write("qmp_sequential.py: %s\n" % e)
        sys.exit(1)
