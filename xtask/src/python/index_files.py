"""What a PEP 503 index holds: `XTASK_INDEX_URL=URL python index_files.py PROJECT...`.

Prints {"filename": {"sha256": "... or null", "requires_python": "... or null"}, ...} for
every file linked from each project's page (`data-requires-python`, PEP 503; a project the
index does not have is no files). The URL comes from the environment so that
credentials in it (sent as HTTP basic auth) never stand on a command line. An index URL that
does not answer is an error, not "no files".
"""
import os

import base64
import html.parser
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.files = {}

    def handle_starttag(self, tag, attrs):
        if tag != "a":
            return
        attrs = dict(attrs)
        href = attrs.get("href") or ""
        url, _, fragment = href.partition("#")
        name = urllib.parse.unquote(url.rsplit("/", 1)[-1])
        sha = fragment[len("sha256="):] if fragment.startswith("sha256=") else None
        if name:
            self.files[name] = {"sha256": sha, "requires_python": attrs.get("data-requires-python")}


def fetch(url, method="GET"):
    parts = urllib.parse.urlsplit(url)
    headers = {"Accept": "text/html"}
    if parts.username is not None:
        token = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    request = urllib.request.Request(url, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return ""
        raise


def main(index, projects):
    try:
        fetch(index.rstrip("/") + "/", method="HEAD")
    except urllib.error.HTTPError as e:
        if e.code in (404, 410):
            sys.exit(f"the index URL answers {e.code}: it is not a package index; check [publish.upload] index-url")
        if e.code not in (405, 501):  # servers that do not do HEAD
            raise
    files = {}
    for project in projects:
        parser = Links()
        parser.feed(fetch(index.rstrip("/") + "/" + project + "/"))
        files.update(parser.files)
    json.dump(files, sys.stdout)


if __name__ == "__main__":
    main(os.environ["XTASK_INDEX_URL"], sys.argv[1:])
