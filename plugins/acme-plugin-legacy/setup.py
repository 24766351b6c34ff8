import os
import re

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read_version():
    with open(os.path.join(HERE, "acme_plugin_legacy", "__init__.py")) as f:
        return re.search(r"^__version__ = ['\"]([^'\"]+)['\"]", f.read(), re.M).group(1)


setup(
    name="acme-plugin-legacy",
    version=read_version(),
    description="Importer for the pre-2020 Acme data format",
    long_description=open(os.path.join(HERE, "README.md")).read(),
    long_description_content_type="text/markdown",
    license="MIT",
    keywords="acme legacy importer",
    packages=["acme_plugin_legacy"],
    python_requires=">=3.9",
    install_requires=[
        "acme-plugin-base==1.4.*,>=1.4.0",
    ],
    entry_points={"acme.plugins": ["legacy = acme_plugin_legacy:describe"]},
)
