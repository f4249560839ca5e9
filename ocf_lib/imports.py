"""Lazy imports of heavy, distribution-packaged modules (lxml, psutil, pymysql).

Agents start with `python3 -I -S` because the site machinery costs a monitor more than half of
its start-up time. The few actions that need a distro package re-enable site-packages here first.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType


def import_with_site(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        if not sys.flags.no_site:
            raise
    import site

    site.main()
    return importlib.import_module(name)


def import_from_site_packages(name: str) -> ModuleType:
    """Like import_with_site, for a module on the monitor path: the site-packages directories
    go onto sys.path without running site.main(), whose .pth files (distutils hacks, certifi,
    importlib.util) cost a few milliseconds a plain pure-Python package does not need."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if not sys.flags.no_site:
            raise
    import site

    sys.path.extend(path for path in site.getsitepackages() if path not in sys.path)
    return importlib.import_module(name)
