"""A loopback TCP proxy that can stop forwarding (a black hole: connections stay open, nothing passes),
as a partitioned network or a hung load balancer in front of PostgreSQL behaves."""

from __future__ import annotations

import select
import socket
import threading
from types import TracebackType


class TcpProxy:
    """Forward 127.0.0.1:<port> to an upstream address; ``pause()`` stops forwarding, ``resume()`` goes on."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._forwarding = threading.Event()
        self._forwarding.set()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._accepter = threading.Thread(target=self._accept, name="tcpproxy-accept", daemon=True)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> TcpProxy:
        """Start accepting."""
        self._accepter.start()
        return self

    def pause(self) -> None:
        """Stop forwarding: bytes wait in the kernel's buffers, new connections are accepted and held."""
        self._forwarding.clear()

    def resume(self) -> None:
        """Forward again, including what waited."""
        self._forwarding.set()

    def stop(self) -> None:
        """Close everything."""
        self._stopped.set()
        self._forwarding.set()
        self._listener.close()
        for sock in list(self._sockets):
            try:
                sock.close()
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), name="tcpproxy-conn", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        self._sockets.append(client)
        self._forwarding.wait()  # a black hole also holds new connections before they reach the server
        if self._stopped.is_set():
            client.close()
            return
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        self._sockets.append(upstream)
        peers = {client: upstream, upstream: client}
        try:
            while not self._stopped.is_set():
                if not self._forwarding.wait(timeout=0.1):
                    continue  # paused: read nothing, so nothing passes either way
                readable, _, _ = select.select(list(peers), [], [], 0.1)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            for sock in (client, upstream):
                try:
                    sock.close()
                except OSError:
                    pass
