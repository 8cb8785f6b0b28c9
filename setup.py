"""Packaging for tinymatch: nbdev 2's template, reading everything from settings.ini.

Differs from the template in one way: no `pkg_resources` (current setuptools no longer ships it).
Requirements come from the pinned file named by
`requirements_file` in settings.ini, so the Makefile and the package install the same versions.
"""
import sys
from configparser import ConfigParser
from pathlib import Path

import setuptools

here = Path(__file__).parent
config = ConfigParser(delimiters=["="])
config.read(here / "settings.ini", encoding="utf-8")
cfg = config["DEFAULT"]

expected = ["version", "description", "keywords", "author", "author_email", "branch", "license",
            "min_python", "lib_name", "user", "language", "status", "requirements_file"]
missing = [k for k in expected if k not in cfg]
if missing: sys.exit(f"settings.ini: missing keys {missing}")

if not ((3, 9) <= sys.version_info[:2] <= (3, 11)):
    sys.exit(f"tinymatch needs Python 3.9-3.11 (TensorFlow 2.15); this is {sys.version.split()[0]}")

licenses = {"apache2": "Apache-2.0"}
statuses = ["1 - Planning", "2 - Pre-Alpha", "3 - Alpha", "4 - Beta", "5 - Production/Stable",
            "6 - Mature", "7 - Inactive"]
py_versions = ["3.9", "3.10", "3.11"]
min_python = cfg["min_python"]
lic = licenses.get(cfg["license"].lower(), cfg["license"])


def read_requirements(name):
    "Requirement lines of the pinned file `name`, without comments, blanks or `-r` includes"
    lines = (here / name).read_text(encoding="utf-8").splitlines()
    return [l.split("#")[0].strip() for l in lines if l.split("#")[0].strip() and not l.startswith("-")]


requirements = read_requirements(cfg["requirements_file"])
dev_requirements = cfg.get("dev_requirements", "").split()

setuptools.setup(
    name=cfg["lib_name"],
    license=lic,
    classifiers=["Development Status :: " + statuses[int(cfg["status"])],
                 "Intended Audience :: " + cfg["audience"].title(),
                 "Natural Language :: " + cfg["language"].title()]
    + ["Programming Language :: Python :: " + o
       for o in py_versions[py_versions.index(min_python):]]
    ,
    url=cfg["git_url"],
    packages=setuptools.find_packages(include=["tinymatch", "tinymatch.*"]),
    include_package_data=True,
    package_data={"tinymatch": ["assets/*/*"]},   # bundled reference model and dedup calibration (MANIFEST.in)
    install_requires=requirements,
    extras_require={"dev": dev_requirements},
    dependency_links=cfg.get("dep_links", "").split(),
    python_requires=f">={min_python},<3.12",
    long_description=(here / "README.md").read_text(encoding="utf-8") if (here / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    zip_safe=False,
    entry_points={"console_scripts": cfg.get("console_scripts", "").split(),
                  "nbdev": [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d']},
    **{k: cfg[k] for k in ["version", "description", "keywords", "author", "author_email"]},
)
