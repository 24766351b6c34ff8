"""Download locked files: `XTASK_INDEX_URLS='["URL", ...]' python fetch_files.py LIST.json`.

LIST.json is `[{"url": ..., "sha256": ..., "dest": ...}, ...]`. Each file is fetched (a few
at a time), its sha256 checked, and written to `dest` through a temporary name, so `dest`
holds the right bytes or does not exist. Nothing is ever built or run: an sdist is fetched
like any file. Credentials come from the index URLs in the environment (HTTP basic auth for
URLs on the same host), never from a command line. `url` may be a local path (find-links
folders). Prints {"failed": [{"url": ..., "error": ...}]}.
"""
import base64
import concurrent.futures
import hashlib
import json
import os
import sys
import urllib.parse
import urllib.request


def credentials(index_urls):
    found = {}
    for index in index_urls:
        parts = urllib.parse.urlsplit(index)
        if parts.username is not None and parts.hostname:
            netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
            token = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            found.setdefault(netloc, "Basic " + base64.b64encode(token.encode()).decode())
    return found


def fetch(item, auth):
    url, dest, want = item["url"], item["dest"], item["sha256"].lower()
    tmp = dest + ".partial-" + str(os.getpid())
    digest = hashlib.sha256()
    try:
        if "://" not in url or url.startswith("file://"):
            path = urllib.request.url2pathname(urllib.parse.urlsplit(url).path) if url.startswith("file://") else url
            source = open(path, "rb")
        else:
            parts = urllib.parse.urlsplit(url)
            netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
            headers = {"User-Agent": "xtask-fetch"}
            if netloc in auth:
                headers["Authorization"] = auth[netloc]
            source = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=120)
        with source, open(tmp, "wb") as out:
            while True:
                chunk = source.read(1 << 20)
                if not chunk:
                    break
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != want:
            raise ValueError(f"sha256 {digest.hexdigest()}, the lock says {want}")
        os.replace(tmp, dest)
        return None
    except Exception as e:  # reported per file; the caller lists every failure at once
        try:
            os.remove(tmp)
        except OSError:
            pass
        return {"url": url, "error": str(e) or type(e).__name__}


def main(listing):
    with open(listing, encoding="utf-8") as f:
        items = json.load(f)
    auth = credentials(json.loads(os.environ.get("XTASK_INDEX_URLS") or "[]"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        failed = [r for r in pool.map(lambda i: fetch(i, auth), items) if r]
    json.dump({"failed": failed}, sys.stdout)


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the xtask says it
        sys.exit(130)
