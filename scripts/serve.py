#!/usr/bin/env python3
"""Serves the web app on 127.0.0.1 with a Content-Security-Policy that allows nothing beyond the
page's own origin. Prints the URL on its own line once the socket is listening.

Where a file has a precompressed twin (FILE.br, FILE.gz, as scripts/build-web.sh writes for the
wasm module and the model) no older than it, a browser that accepts that encoding gets the twin
with Content-Encoding: the 28 MB module travels as about 3-5 MB. Every response may be cached and
is revalidated (Last-Modified, If-Modified-Since answered 304).

usage: python3 scripts/serve.py [--port N]   (or PORT=N)
"""
import argparse
import http.server
import os
import socketserver
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; "
       "img-src 'self' blob: data:; media-src 'self' blob:; worker-src 'self'; style-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
MOUNTS = {"/models/": os.path.join(ROOT, "models"), "/": os.path.join(ROOT, "www")}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
                      ".ttev": "application/octet-stream", ".ts": "text/plain"}

    def translate_path(self, path):
        clean = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, folder in MOUNTS.items():
            if clean.startswith(prefix):
                rel = clean[len(prefix):]
                full = os.path.realpath(os.path.join(folder, *[p for p in rel.split("/") if p not in ("", ".", "..")]))
                if not full.startswith(os.path.realpath(folder)):
                    return os.path.join(folder, "__forbidden__")
                return full
        return os.path.join(ROOT, "www", "__missing__")

    def send_head(self):
        path = self.translate_path(self.path)
        accepted = self.headers.get("Accept-Encoding", "")
        for enc, ext in (("br", ".br"), ("gzip", ".gz")):
            twin = path + ext
            if enc in accepted and os.path.isfile(path) and os.path.isfile(twin) \
                    and os.path.getmtime(twin) >= os.path.getmtime(path):
                return self.send_twin(path, twin, enc)
        return super().send_head()

    def send_twin(self, path, twin, enc):
        """The precompressed twin of `path`, with the original's type and revalidation."""
        st = os.stat(path)
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                import email.utils
                if int(st.st_mtime) <= email.utils.parsedate_to_datetime(since).timestamp():
                    self.send_response(304)
                    self.end_headers()
                    return None
            except (TypeError, ValueError):
                pass
        f = open(twin, "rb")
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", enc)
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(os.fstat(f.fileno()).st_size))
        self.send_header("Last-Modified", self.date_time_string(st.st_mtime))
        self.end_headers()
        return f

    def end_headers(self):
        self.send_header("Content-Security-Policy", CSP)
        # Cross-origin isolated (COOP + COEP): the page may share memory between threads, so the
        # CPU backend runs on every core (www/pkg-mt). Everything it loads is its own.
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        # Cached, but revalidated every time: a rebuilt module is never served stale.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, fmt, *args):
        if os.environ.get("TTEVIEW_SERVE_LOG"):
            super().log_message(fmt, *args)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    args = ap.parse_args()
    socketserver.TCPServer.allow_reuse_address = True
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler) as httpd:
        print(f"http://127.0.0.1:{httpd.server_address[1]}/", flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    sys.exit(main())
