"""pyha: Pacemaker OCF resource agents in Python, and the ocf_lib library they stand on.

`make install` is the supported install (agents into /usr/lib/ocf/resource.d/pyha, ocf_lib into
/usr/lib/ocf/lib/pyha where the agents look for it); this file packages the library for Python
tooling and source distributions.
"""

from glob import glob

from setuptools import find_packages, setup

setup(
    name="pyha",
    version="0.1.0",
    description="Pacemaker OCF resource agents in Python (drbd, nfsserver, mariadb, "
                "moosefs-master, floating-ip) and their library",
    license="GPL-2.0-or-later",
    python_requires=">=3.9",
    packages=find_packages(include=["ocf_lib", "ocf_lib.*"]),
    install_requires=[],
    extras_require={"metadata": ["lxml"], "processes": ["psutil"]},
    data_files=[("lib/ocf/resource.d/pyha", sorted(glob("agents/*")))],
)
