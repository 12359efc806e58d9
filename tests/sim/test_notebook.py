"""The what-if notebook runs top to bottom (nbclient, python3 kernel of this interpreter)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_what_if_notebook_executes(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel", reason="ipykernel (notebook extra) not installed")
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    ksm = KernelSpecManager()
    try:
        spec = ksm.get_kernel_spec("python3")
        same = (
            Path(spec.argv[0]).resolve() == Path(sys.executable).resolve()
            or spec.argv[0] == "python"
        )
    except NoSuchKernel:
        same = False
    if not same:  # a kernel of this very interpreter, in a private directory
        from ipykernel.kernelspec import install

        install(user=False, prefix=str(tmp_path / "k"), kernel_name="python3")
        import os

        os.environ["JUPYTER_PATH"] = str(tmp_path / "k" / "share" / "jupyter")
    nb = nbformat.read(ROOT / "examples" / "notebooks" / "what_if.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "examples" / "notebooks")}},
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )
    assert "agents for 80/20" in text and "answered per week" in text
