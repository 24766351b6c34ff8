"""Plugin registry shared by every Acme plugin."""

__version__ = "1.4.0"

_REGISTRY: dict = {}


def register(name: str, version: str) -> None:
    """Record that plugin ``name`` at ``version`` is available."""
    if not name:
        raise ValueError("plugin name must not be empty")
    _REGISTRY[name] = version


def unregister(name: str) -> None:
    """Forget plugin ``name``; unknown names are ignored."""
    _REGISTRY.pop(name, None)


def registered() -> list:
    """Return ``(name, version)`` pairs of registered plugins, sorted by name."""
    return sorted(_REGISTRY.items())


def describe() -> str:
    return f"acme-plugin-base {__version__}"
