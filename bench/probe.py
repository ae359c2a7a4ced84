#!/usr/bin/python3
# The probe of bench/services.sh. It runs inside a container's namespaces
# (nsenter --all, never a child of the container's PID 1) with the image's
# own python3 and psql, and answers on stdout with one line of key=value.
#
#   probe.py up T0 LIMIT      seconds from T0 (epoch) until each of nginx
#                             (HTTP 200 on :80), redis (+PONG on :6379),
#                             postgresql (psql select 1 as postgres) and sshd
#                             (banner on :22) first answers; "all" when all four
#                             do; "-" for one that did not within LIMIT seconds
#   probe.py redis-back LIMIT kill -9 the redis-server process, then seconds
#                             until a new one answers PONG ("-": not in LIMIT)
import os
import signal
import socket
import subprocess
import sys
import time


def ask(port, send, want):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            if send:
                s.sendall(send)
            return s.recv(64).startswith(want)
    except OSError:
        return False


def nginx():
    return ask(80, b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n", b"HTTP/1.1 200")


def redis():
    return ask(6379, b"PING\r\n", b"+PONG")


def sshd():
    return ask(22, None, b"SSH-")


def postgresql():
    if not os.path.exists("/run/postgresql/.s.PGSQL.5432"):
        return False
    r = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-XtAc", "select 1"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=5)
    return r.returncode == 0 and r.stdout.strip() == b"1"


def up(t0, limit):
    checks = {"nginx": nginx, "redis": redis, "postgresql": postgresql, "sshd": sshd}
    first = {}
    while len(first) < len(checks) and time.time() < t0 + limit:
        for name, check in checks.items():
            if name not in first and check():
                first[name] = time.time() - t0
        time.sleep(0.01)
    every = max(first.values()) if len(first) == len(checks) else None
    out = ["all=%s" % ("%.3f" % every if every else "-")]
    out += ["%s=%s" % (n, "%.3f" % first[n] if n in first else "-") for n in checks]
    print(" ".join(out))


def redis_pids():
    """The live redis-server processes (a zombie not yet reaped is not one)."""
    pids = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/stat" % pid) as f:
                    stat = f.read()
            except OSError:
                continue
            comm, state = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2]
            if comm == "redis-server" and state != "Z":
                pids.add(int(pid))
    return pids


def redis_back(limit):
    pids = redis_pids()
    if len(pids) != 1 or not redis():
        print("back=- why=no-redis-running")
        return
    pid = pids.pop()
    os.kill(pid, signal.SIGKILL)
    killed = time.time()
    while time.time() < killed + limit:
        if redis_pids() - {pid} and redis():
            print("back=%.3f" % (time.time() - killed))
            return
        time.sleep(0.005)
    print("back=-")


if __name__ == "__main__":
    if sys.argv[1] == "up":
        up(float(sys.argv[2]), float(sys.argv[3]))
    elif sys.argv[1] == "redis-back":
        redis_back(float(sys.argv[2]))
