"""docs/quickstart.md works as written: its ```sh blocks run in order, with bash, against a live
sandbox (``sandbox serve`` on the test's engine), as a newcomer would paste them into one shell
(``tests.docs.guide`` runs them). The quickstart signs up by itself: its terminal starts with
only ``BASE`` set (the sandbox's address). The key outputs are asserted: the payment's
responseCode 00, the eKYC's ret y, a decrypted statement with transactions holding the payment.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.guide import Terminal, blocks, read_guide
from tests.harness.server import ServerProcess

pytestmark = pytest.mark.slow


def test_the_block_parser_finds_each_runnable_block_and_why_one_is_left_out() -> None:
    text = (
        "intro\n```sh\necho one\n```\n```\nmake run\n```\n```sh\necho two\necho 3\n```\n"
        "<!-- not run: a fragment -->\n```python\nverify(body)\n```\n```json\n{}\n```\n"
    )
    found = blocks(text)
    assert [(b.lang, b.code, b.line) for b in found] == [
        ("sh", "echo one\n", 2),
        ("", "make run\n", 5),
        ("sh", "echo two\necho 3\n", 8),
        ("python", "verify(body)\n", 13),
        ("json", "{}\n", 16),
    ]
    assert [b.runs for b in found] == [True, False, True, False, False]
    assert found[3].not_run == "a fragment"


def test_the_quickstart_runs_as_written(server: ServerProcess, tmp_path: Path) -> None:
    found = read_guide("quickstart.md")
    assert [b.lang for b in found if b.lang != "sh"] == [""], "only `make run` is not run"
    assert len([b for b in found if b.runs]) >= 8, "the quickstart lost its steps"
    out = Terminal(tmp_path, server, BASE=server.base_url).run_all(found, "quickstart.md")
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
