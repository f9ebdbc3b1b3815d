"""``hotline.reports`` imports only ``hotline.store`` of Hotline (DESIGN.md's table): the web
side, the command line and the composition root wire it, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

REPORTS = Path(__file__).resolve().parents[2] / "src" / "hotline" / "reports"


def test_reports_import_only_the_store() -> None:
    imported = set()
    for path in REPORTS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
    ours = {name for name in imported if name.split(".")[0] == "hotline"}
    assert ours and all(n.startswith(("hotline.reports", "hotline.store")) for n in ours), ours
