"""Tabular reports over registered Acme plugins."""

import acme_plugin_base
from tabulate import tabulate

__version__ = "1.4.0"


def plugin_table(fmt: str = "github") -> str:
    """Return the registered plugins as a table."""
    return tabulate(acme_plugin_base.registered(), headers=["plugin", "version"], tablefmt=fmt)


def describe() -> str:
    return f"acme-plugin-reports {__version__}"
