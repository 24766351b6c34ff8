"""Which files a PEP 503 index already has: `python index_files.py INDEX_URL PROJECT...`.

Prints {"filename": "sha256 or null", ...} for every file linked from each project's page
(a missing project is no files). Credentials in INDEX_URL are sent as HTTP basic auth.
"""

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
        href = dict(attrs).get("href") or ""
        url, _, fragment = href.partition("#")
        name = urllib.parse.unquote(url.rsplit("/", 1)[-1])
        sha = fragment[len("sha256="):] if fragment.startswith("sha256=") else None
        if name:
            self.files[name] = sha


def fetch(url):
    parts = urllib.parse.urlsplit(url)
    headers = {"Accept": "text/html"}
    if parts.username is not None:
        token = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return ""
        raise


def main(index, projects):
    files = {}
    for project in projects:
        parser = Links()
        parser.feed(fetch(index.rstrip("/") + "/" + project + "/"))
        files.update(parser.files)
    json.dump(files, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
