#!/usr/bin/python3
"""peer.py - the two ends of the live-capture test's TCP traffic.

Usage: peer.py serve ADDR PORT      accept connections forever: read until
                                    the client shuts down its side, answer
                                    with as many bytes as it sent, halved
       peer.py send ADDR PORT N     send N bytes, read the answer, close
       peer.py hold ADDR PORT N     send N bytes, then keep the connection
                                    open until killed
Byte counts are exact so the test can check what the capture saw.
"""
import socket
import sys
import threading
import time


def serve(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)

    def one(c):
        got = 0
        while True:
            b = c.recv(65536)
            if not b:
                break
            got += len(b)
        c.sendall(b'r' * (got // 2))
        c.close()

    while True:
        c, _ = s.accept()
        threading.Thread(target=one, args=(c,), daemon=True).start()


def send(addr, port, n, hold):
    c = socket.create_connection((addr, port))
    c.sendall(bytes((i * 7) & 0xff for i in range(n)))
    if hold:
        while True:
            time.sleep(1)
    c.shutdown(socket.SHUT_WR)
    while c.recv(65536):
        pass
    c.close()


verb, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if verb == 'serve':
    serve(addr, port)
else:
    send(addr, port, int(sys.argv[4]), verb == 'hold')
