"""A local stand-in for huggingface.co and a file server: model listings, ``resolve`` downloads, whoami.

It speaks the few routes the app uses: ``/api/models/REPO/revision/REV`` (the
file list with sizes, sha256 of large files and git blob ids of small ones),
``/REPO/resolve/REV/PATH`` with HTTP Range, ``/api/whoami-v2`` (for the token
login), and ``/files/NAME`` for direct-URL weights. Gated repositories answer
401 without the right token. A response can be cut after some bytes, and slowed
down, so tests can resume and cancel downloads.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

COMMIT = "c0ffee" * 6 + "c0ff"
TOKEN = "hf_a2i_test_token"
_LFS_SUFFIXES = (".safetensors", ".bin", ".pth", ".ckpt")
_CHUNK = 1 << 16


@dataclass
class FakeHub:
    """The server's content and what it was asked.

    Attributes:
        repos: Files by repository id, then by path.
        gated: Repositories that need :data:`TOKEN`.
        files: Direct-URL files by name (``/files/NAME``).
        requests: ``(path, Range header)`` of every download request.
        cut_after: Cut the next download response longer than this after this many bytes.
        chunk_delay: Seconds to wait between 64 kB chunks.
        wrong: Paths served with other bytes than listed (a damaged mirror).
    """

    port: int = 0
    repos: dict[str, dict[str, bytes]] = field(default_factory=dict)
    gated: set[str] = field(default_factory=set)
    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    cut_after: int | None = None
    chunk_delay: float = 0.0
    wrong: set[str] = field(default_factory=set)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, name: str) -> str:
        """The address of direct-URL file ``name``."""
        return f"{self.endpoint}/files/{name}"

    def listing(self, repo: str) -> dict[str, object]:
        siblings = []
        for path, data in self.repos[repo].items():
            if path.endswith(_LFS_SUFFIXES):
                lfs = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "pointerSize": 134}
                siblings.append({"rfilename": path, "size": len(data), "blobId": "0" * 40, "lfs": lfs})
            else:
                blob = hashlib.sha1(f"blob {len(data)}\0".encode() + data, usedforsecurity=False).hexdigest()
                siblings.append({"rfilename": path, "size": len(data), "blobId": blob})
        return {"id": repo, "modelId": repo, "sha": COMMIT, "private": False, "siblings": siblings}


def serve(state: FakeHub) -> Iterator[FakeHub]:
    """Run the server for ``state`` until the generator is closed."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = unquote(urlparse(self.path).path)
            if path == "/api/whoami-v2":
                self._whoami()
            elif path.startswith("/api/models/"):
                repo = path.removeprefix("/api/models/").split("/revision/")[0]
                if repo not in state.repos:
                    self._json(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
                else:
                    self._json(200, state.listing(repo))
            elif path.startswith("/files/") and path.removeprefix("/files/") in state.files:
                self._send(path, state.files[path.removeprefix("/files/")])
            elif "/resolve/" in path:
                repo, _, rest = path.lstrip("/").partition("/resolve/")
                file_path = rest.partition("/")[2]
                data = state.repos.get(repo, {}).get(file_path)
                if data is None:
                    self._json(404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
                elif repo in state.gated and self.headers.get("authorization") != f"Bearer {TOKEN}":
                    self._json(401, {"error": "Access to this model is restricted"}, {"X-Error-Code": "GatedRepo"})
                else:
                    self._send(path, b"x" * len(data) if file_path in state.wrong else data)
            else:
                self._json(404, {"error": "not found"})

        def _whoami(self) -> None:
            if self.headers.get("authorization") != f"Bearer {TOKEN}":
                self._json(401, {"error": "Invalid credentials in Authorization header"})
                return
            access = {"displayName": "a2i-test", "role": "read"}
            self._json(200, {"name": "artist", "type": "user", "auth": {"type": "access_token", "accessToken": access}})

        def _json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def _send(self, path: str, data: bytes) -> None:
            requested = self.headers.get("Range")
            state.requests.append((path, requested))
            start = int(requested.removeprefix("bytes=").rstrip("-")) if requested else 0
            payload = data[start:]
            self.send_response(206 if requested else 200)
            self.send_header("Content-Length", str(len(payload)))
            if requested:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            limit = state.cut_after if state.cut_after is not None and len(payload) > state.cut_after else None
            if limit is not None:
                state.cut_after = None  # only one response is cut: the first one long enough
            sent = 0
            for offset in range(0, len(payload), _CHUNK):
                piece = payload[offset : offset + _CHUNK]
                if limit is not None and sent + len(piece) > limit:
                    self.wfile.write(piece[: limit - sent])
                    self.close_connection = True
                    return
                try:
                    self.wfile.write(piece)
                except (BrokenPipeError, ConnectionResetError):  # the client cancelled
                    return
                sent += len(piece)
                if state.chunk_delay:
                    time.sleep(state.chunk_delay)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A fake huggingface.co that huggingface_hub and the downloader talk to, and a private token store."""
    import huggingface_hub.constants
    import huggingface_hub.hf_api

    state = FakeHub()
    server = serve(state)
    next(server)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", state.endpoint)
    monkeypatch.setattr(huggingface_hub.hf_api.api, "endpoint", state.endpoint)  # the one login() uses
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "hf-home" / "token"))
    monkeypatch.setattr(
        huggingface_hub.constants, "HF_STORED_TOKENS_PATH", str(tmp_path / "hf-home" / "stored_tokens")
    )
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-home" / "hub"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # other test modules go offline at import
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("A2I_TEST_HUB", state.endpoint)  # the bundle test plugin downloads from here
    yield state
    server.close()
