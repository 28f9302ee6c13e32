"""The engine never imports the UI: `import reelprint` (and every engine module) stays headless."""

import pkgutil
import subprocess
import sys

import reelprint


def test_engine_imports_no_textual_or_rich():
    modules = [f"reelprint.{m.name}" for m in pkgutil.iter_modules(reelprint.__path__) if m.name != "tui"]
    code = (f"import sys, importlib\nfor m in {modules!r}: importlib.import_module(m)\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
