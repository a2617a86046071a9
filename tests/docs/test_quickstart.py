"""docs/quickstart.md works as written: its ```sh blocks run in order, with bash, against a live
sandbox (``sandbox serve`` on the test's engine), as a newcomer would paste them into one shell.

Each block runs in its own ``bash`` with ``set -euo pipefail``; the shell variables the earlier
blocks set (``KEY``, ``SESSION``...) are carried over with ``declare -p``, so a block sees what
it would see in the newcomer's terminal. The key outputs are asserted: the payment's
responseCode 00, the eKYC's ret y, a decrypted statement with transactions holding the payment.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.settings import Settings
from tests.harness.server import ServerProcess

pytestmark = pytest.mark.slow

QUICKSTART = Path(__file__).resolve().parents[2] / "docs" / "quickstart.md"
BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)
# after each block: every variable the blocks made, for the next block to source
SAVE_STATE = """
for _name in $(compgen -v); do
  grep -qxF "$_name" "$QS_BASELINE" || declare -p "$_name"
done > "$QS_STATE"
"""


def sh_blocks(markdown: str) -> list[str]:
    return [m.group(1) for m in BLOCK.finditer(markdown)]


def test_the_block_parser_finds_each_sh_block_and_only_those() -> None:
    text = "intro\n```sh\necho one\n```\n```\nmake run\n```\n```sh\necho two\necho 3\n```\n"
    assert sh_blocks(text) == ["echo one\n", "echo two\necho 3\n"]


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(settings, tmp_path / "server.log") as process:
        process.wait_ready()
        yield process


def test_the_quickstart_runs_as_written(server: ServerProcess, tmp_path: Path) -> None:
    for tool in ("bash", "curl", "python3", "openssl"):
        assert shutil.which(tool), f"the quickstart needs {tool}"
    blocks = sh_blocks(QUICKSTART.read_text())
    assert len(blocks) >= 8, "the quickstart lost its steps"
    work = tmp_path / "newcomer"
    work.mkdir()
    baseline, state = tmp_path / "baseline", tmp_path / "state.sh"
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(work), "BASE": server.base_url}
    env |= {"QS_BASELINE": str(baseline), "QS_STATE": str(state), "LANG": "C.UTF-8"}
    names = subprocess.run(
        ["bash", "-c", "compgen -v"], env=env, capture_output=True, text=True, check=True
    ).stdout
    baseline.write_text(names + "_name\n")
    state.write_text("")
    outputs = []
    for number, block in enumerate(blocks, 1):
        script = f"set -euo pipefail\nsource {state}\n{block}\n{SAVE_STATE}"
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (
            f"block {number} exited {done.returncode}:\n{block}\nstdout:\n{done.stdout}\n"
            f"stderr:\n{done.stderr}\nserver log:\n{server.log_tail()}"
        )
        outputs.append(done.stdout)
    out = "\n".join(outputs)
    assert '"status":"SUCCESS","responseCode":"00"' in out, out
    txn_id = re.search(r'"txnId":"(SBX[0-9A-Z]{32})"', out)
    assert txn_id is not None, out
    assert re.search(r"^ret y UKC:quickstart-kyc-\d+ Asha Verma ", out, re.MULTILINE), out
    statement = re.search(r"^XXXXXXXXXX0001 balance 999849\.75 (\d+) transactions$", out, re.M)
    assert statement is not None, out  # 1,000,000.00 minus the lunch
    assert int(statement.group(1)) > 1
    lunch = re.search(r"^the lunch of step 3: (.*)$", out, re.MULTILINE)
    assert lunch is not None, out
    assert txn_id.group(1) in lunch.group(1)
    assert '"amount": "150.25"' in lunch.group(1)
    assert '"type": "DEBIT"' in lunch.group(1)
