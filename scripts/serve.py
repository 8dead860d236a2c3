#!/usr/bin/env python3
"""Serves the web app on 127.0.0.1 with a Content-Security-Policy that allows nothing beyond the
page's own origin. Prints the URL on its own line once the socket is listening.

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

    def end_headers(self):
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
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
