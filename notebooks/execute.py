"""Execute every notebook in this folder in place, with full draws, so outputs and figures are committed.

Usage (from the repository root): python notebooks/execute.py [NAME.ipynb ...]
Needs nbclient and ipykernel (not package dependencies: the test suite runs the notebooks' code
in-process with small draws, see tests/test_notebooks.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main(names: list[str]) -> None:
    here = Path(__file__).resolve().parent
    paths = [here / n for n in names] if names else sorted(here.glob("*.ipynb"))
    os.environ.pop("BAYESHCC_QUICK", None)
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        _, nb = nbformat.validator.normalize(nb)  # give every cell an id (nbformat >= 4.5)
        nb = nbformat.from_dict(nb)
        NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(here)}}).execute()
        nbformat.write(nb, path)
        print(f"executed {path.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
