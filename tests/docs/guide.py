"""Run a guide's examples as written: its fenced blocks, in order, as a reader pastes them into
one terminal.

``blocks(markdown)`` finds every fenced block. Those fenced ``sh``, ``bash`` or ``python`` run;
any other fence (``text``, ``json``, ``js``, a bare one) is a sample, a fragment or a command
that must not run here (``make run``), by its fence. A ``sh``/``bash``/``python`` block right
after a line ``<!-- not run: <why> -->`` is not run either; the guide's test states how many it
expects and why, so a block cannot slip out of the run unnoticed.

``Terminal`` runs the blocks: each shell block in its own ``bash`` with ``set -euo pipefail``,
sourcing the variables the earlier blocks set (saved with ``declare -p`` after each block), so a
block sees what it would see in the reader's shell; a ``python`` block runs with the test's
Python (it has the guides' ``cryptography``) from a shell holding those variables, so only what
a block ``export``-ed reaches ``os.environ``, as in the reader's terminal.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.harness.server import ServerProcess

DOCS = Path(__file__).resolve().parents[2] / "docs"
RUNNABLE = frozenset({"sh", "bash", "python"})
TOOLS = ("bash", "curl", "python3", "openssl")
FENCE = re.compile(
    r"^(?:<!-- not run: (?P<why>[^\n]*?) -->\n)?```(?P<lang>[\w+-]*)[^\n]*\n(?P<code>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
# after each shell block: every variable the blocks made, for the next block to source
SAVE_STATE = """
for _name in $(compgen -v); do
  grep -qxF "$_name" "$GUIDE_BASELINE" || declare -p "$_name"
done > "$GUIDE_STATE"
"""


@dataclass(frozen=True, slots=True)
class Block:
    lang: str
    code: str
    line: int  # of the opening fence, 1-based
    not_run: str | None  # why a runnable block is left out (its marker), else None

    @property
    def runs(self) -> bool:
        return self.lang in RUNNABLE and self.not_run is None


def blocks(markdown: str) -> list[Block]:
    """Every fenced block of ``markdown``, in order."""
    found = []
    for match in FENCE.finditer(markdown):
        start = match.start("lang") - 3
        found.append(
            Block(
                lang=match.group("lang"),
                code=match.group("code"),
                line=markdown.count("\n", 0, start) + 1,
                not_run=match.group("why"),
            )
        )
    return found


def guide_text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def read_guide(name: str) -> list[Block]:
    return blocks(guide_text(name))


class Terminal:
    """One reader's terminal in ``work``, with ``variables`` already set (``BASE``, ``KEY``)."""

    def __init__(self, work: Path, server: ServerProcess, **variables: str) -> None:
        for tool in TOOLS:
            assert shutil.which(tool), f"the guides need {tool}"
        self.work, self.server = work / "reader", server
        self.work.mkdir()
        self.baseline, self.state = work / "baseline", work / "state.sh"
        self.env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.work)}
        self.env |= {"LANG": "C.UTF-8", "GUIDE_BASELINE": str(self.baseline)}
        self.env |= {"GUIDE_STATE": str(self.state)}
        names = subprocess.run(
            ["bash", "-c", "compgen -v"], env=self.env, capture_output=True, text=True, check=True
        ).stdout
        self.baseline.write_text(names + "_name\n")
        self.state.write_text("".join(f"{k}={quote(v)}\n" for k, v in variables.items()))

    def run(self, block: Block, where: str) -> str:
        """Run one block; its stdout. Fails with the block, its output and the server's log."""
        if block.lang == "python":
            script = (
                f"set -euo pipefail\nsource {self.state}\n"
                f"{sys.executable} - <<'GUIDE_PYTHON'\n{block.code}GUIDE_PYTHON\n"
            )
        else:
            script = f"set -euo pipefail\nsource {self.state}\n{block.code}\n{SAVE_STATE}"
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (
            f"{where} line {block.line} exited {done.returncode}:\n{block.code}\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}\n"
            f"server log:\n{self.server.log_tail()}"
        )
        return done.stdout

    def run_all(self, found: list[Block], where: str) -> str:
        """Run every block that runs, in order; their outputs joined."""
        return "\n".join(self.run(block, where) for block in found if block.runs)


def quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"
