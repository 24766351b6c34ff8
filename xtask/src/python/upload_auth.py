"""Whether an upload repository takes the credentials a release would upload with:
`XTASK_UPLOAD_URL=URL python upload_auth.py` (credentials in the URL's user-info, else
TWINE_USERNAME / TWINE_PASSWORD, else twine's keyring when it can be imported; a URL with a
user and no password takes the password from TWINE_PASSWORD, as the upload does).

Sends what twine's upload sends, minus the file: a multipart POST of `:action=file_upload`
and `protocol_version=1` with no content, so nothing can be stored. Package indexes check
the credentials first: 401 or 403 means they were refused (or are missing); any other answer
(400 "missing content" and the like) means they were taken. Prints nothing when they were
taken; else one line saying why, and exits 1. Never prints a credential.
"""
import base64
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


def credentials(url):
    parts = urllib.parse.urlsplit(url)
    user = os.environ.get("TWINE_USERNAME")
    password = os.environ.get("TWINE_PASSWORD")
    if parts.username is not None:
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
        user = urllib.parse.unquote(parts.username)
        if parts.password is not None:
            return url, user, urllib.parse.unquote(parts.password)
    if password is None:
        try:
            import keyring  # what twine would ask

            password = keyring.get_password(url, user or "__token__")
        except Exception:
            password = None
    if password is None:
        return url, None, None
    return url, user or "__token__", password


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def main(url):
    url, user, password = credentials(url)
    boundary = "xtask-credential-check"
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in ((":action", "file_upload"), ("protocol_version", "1"))
    ) + f"--{boundary}--\r\n"
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if user is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers["Authorization"] = "Basic " + token
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    # Never followed: a redirect would resend the credentials elsewhere, and twine refuses
    # redirects of uploads too.
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60):
            return
    except urllib.error.HTTPError as e:
        if 300 <= e.code < 400:
            sys.exit(f"it redirects (HTTP {e.code}) to {e.headers.get('Location', '?')}: use that URL as repository-url")
        if e.code not in (401, 403):
            return
        said = f"HTTP {e.code} {e.reason}"
    except urllib.error.URLError as e:
        sys.exit(f"cannot reach it ({e.reason})")
    if user is None:
        sys.exit(f"it answers {said} and no credentials are set (TWINE_USERNAME and TWINE_PASSWORD, "
                 "or ${VAR}s in repository-url)")
    sys.exit(f"it refuses the credentials ({said}) of user {user!r}")


if __name__ == "__main__":
    main(os.environ["XTASK_UPLOAD_URL"])
