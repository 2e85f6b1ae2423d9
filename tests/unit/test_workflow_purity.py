"""Workflow modules stay pure: importing one never drags in the database, web or HTTP libraries."""

import pkgutil
import subprocess
import sys

import pytest

import contracts
import workflows

# The contracts are imported inside the sandbox too: they are as pure as the workflows.
MODULES = [f"{package.__name__}.{m.name}" for package in (workflows, contracts) for m in pkgutil.iter_modules(package.__path__)]
FORBIDDEN = ["sqlalchemy", "fastapi", "httpx", "aiosmtplib", "reportlab", "pyhanko", "store", "activities"]


@pytest.mark.parametrize("module", MODULES)
def test_workflow_module_imports_nothing_impure(module: str):
    code = f"import sys, {module}; print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"{module} imports {out}"


def test_every_workflow_module_is_checked():
    assert {"workflows.human_task", "workflows.leave", "contracts.tasks", "contracts.leave"} <= set(MODULES)
