#!/usr/bin/env python3
"""A small OpenTelemetry collector for the tracing tests: accepts OTLP/HTTP JSON on
POST /v1/traces and appends every span it receives, one JSON object per line, to OUT_FILE
(with the resource's service.name as "service"). Anything else gets 404; a body that is not
OTLP JSON gets 400 (and is not written). Usage: otlp_collector.py PORT_FILE OUT_FILE"""

import http.server
import json
import os
import signal
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        if self.path != "/v1/traces":
            return self.answer(404)
        try:
            doc = json.loads(body)
            lines = []
            for rs in doc["resourceSpans"]:
                service = ""
                for attr in rs["resource"]["attributes"]:
                    if attr["key"] == "service.name":
                        service = attr["value"]["stringValue"]
                for ss in rs["scopeSpans"]:
                    for span in ss["spans"]:
                        span["service"] = service
                        lines.append(json.dumps(span))
        except (ValueError, KeyError, TypeError):
            return self.answer(400)
        with open(self.server.out_file, "a") as f:
            f.write("".join(line + "\n" for line in lines))
        self.answer(200, b"{}")

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped by the test: a clean exit
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.out_file = sys.argv[2]
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
