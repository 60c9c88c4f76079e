"""Project paths, resolved from the installed package so notebooks and the CLI agree."""

from __future__ import annotations

import os
from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = Path(os.environ.get("PLAYBOOK_NOTEBOOKS", PROJ_ROOT / "notebooks"))
DATA_DIR = PROJ_ROOT / "data"
DEMO_DATA_DIR = DATA_DIR / "demo"
REPORTS_DIR = Path(os.environ.get("PLAYBOOK_REPORTS", PROJ_ROOT / "reports"))
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
KERNEL_NAME = "python3"
