"""Stopping a stdlib HTTP server at once, instead of after its serve_forever() poll interval."""

from __future__ import annotations

import socket
import socketserver
import threading


def stop_now(server: socketserver.BaseServer, thread: threading.Thread | None) -> None:
    """Ask serve_forever() to return and wake its select() with a connection, so it returns at once."""
    if thread is None or not thread.is_alive():
        return
    stopper = threading.Thread(target=server.shutdown, name="http-stop", daemon=True)
    stopper.start()
    address = server.server_address
    host, port = (address[0], address[1]) if isinstance(address, tuple) else ("", 0)
    while stopper.is_alive():
        # shutdown() sets its flag, then waits for the loop to see it; a connection makes select() answer.
        try:
            socket.create_connection((str(host), int(port)), timeout=0.2).close()
        except OSError:
            pass
        stopper.join(0.01)
    thread.join()
