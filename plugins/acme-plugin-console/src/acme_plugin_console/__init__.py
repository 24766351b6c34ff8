"""Console helpers for Acme plugins, with platform-specific backends."""

import sys

__version__ = "1.4.0"

if sys.platform == "win32":
    import colorama

    colorama.just_fix_windows_console()
else:
    import ptyprocess  # noqa: F401  (pseudo-terminal sessions)

_RED, _RESET = "\x1b[31m", "\x1b[0m"


def highlight(text: str) -> str:
    """Return ``text`` wrapped in ANSI colour codes."""
    if not text:
        return text
    return f"{_RED}{text}{_RESET}"


def describe() -> str:
    return f"acme-plugin-console {__version__}"
