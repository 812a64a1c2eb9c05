"""Every notebook in notebooks/ runs top to bottom with small draws (BAYESHCC_QUICK=1).

Code cells are executed in-process in one namespace (no Jupyter kernel needed), so a failing
cell fails the test with its traceback.
"""

import json
import os
from pathlib import Path

import matplotlib
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch, tmp_path):
    import matplotlib.pyplot as plt

    matplotlib.use("Agg")
    monkeypatch.setenv("BAYESHCC_QUICK", "1")
    monkeypatch.chdir(tmp_path)
    nb = json.loads(path.read_text())
    namespace: dict = {"__name__": "__main__"}
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        code = compile("\n".join(lines), f"{path.name}[cell {i}]", "exec")
        exec(code, namespace)  # noqa: S102
    plt.close("all")
    assert os.environ["BAYESHCC_QUICK"] == "1"
