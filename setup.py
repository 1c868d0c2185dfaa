"""Only what pyproject.toml cannot say: the top-level styles/ (the app's stylesheets, DESIGN "Layers") is shipped
in the wheel as the package cockpit.styles, next to the packages found under cockpit/ (as pyproject's packages.find did: namespace packages such as cockpit.runbook.plans included). Everything else is in
pyproject.toml; cockpit/ui/stylesheets.py finds the sheets in either place."""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["cockpit*"]), "cockpit.styles"],
    package_dir={"cockpit.styles": "styles"},
)
