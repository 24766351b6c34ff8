"""Importer for the pre-2020 Acme data format (``.acd``)."""

__version__ = '2.1.3'


def parse_record(line: str) -> dict:
    """Parse one ``key=value;key=value`` record."""
    fields = (part.split("=", 1) for part in line.strip().split(";") if part)
    return {key.strip(): value.strip() for key, value in fields}


def describe() -> str:
    return f"acme-plugin-legacy {__version__}"
