"""docs/errors.md's tables are the code's: regenerated here, they must equal the file, and they
list every value and code ``GET /v1/sandbox/magic`` serves."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from sandbox.cli import main
from sandbox.domains import Domain, Magic, MagicRow
from sandbox.guides import BEGIN, END, errors_doc, refresh, render_tables

ERRORS_MD = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def test_docs_errors_md_is_up_to_date() -> None:
    text = ERRORS_MD.read_text(encoding="utf-8")
    assert errors_doc(text) == text, (
        "docs/errors.md differs from the code's tables: run `sandbox docs errors` to refresh"
    )


@pytest.mark.anyio
async def test_the_guide_lists_every_value_and_code_the_magic_endpoint_serves(
    client: httpx.AsyncClient,
) -> None:
    served = (await client.get("/v1/sandbox/magic")).json()
    generated = ERRORS_MD.read_text(encoding="utf-8").split(BEGIN, 1)[1]
    rows = {line for line in generated.splitlines() if line.startswith("| ")}
    for magic in served["magic"]:
        cells = [magic["kind"], magic["value"], magic["responseCode"], magic["description"]]
        assert "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" in rows, magic
    for code, meaning in served["codes"].items():
        assert any(r.startswith(f"| `{code}` | {meaning} |") for r in rows), code
    assert len(served["codes"]) > 60  # UPI, Aadhaar and AA codes, not one domain's


def test_refresh_rewrites_only_between_the_markers() -> None:
    document = f"# Hand-written\n\nprose\n\n{BEGIN}\nstale\n{END}\n\nmore prose\n"
    assert refresh(document, "| new |\n") == (
        f"# Hand-written\n\nprose\n\n{BEGIN}\n\n| new |\n\n{END}\n\nmore prose\n"
    )
    with pytest.raises(ValueError, match="markers"):
        refresh("# no markers\n", "| new |")


def test_a_domain_without_a_known_section_still_gets_its_tables() -> None:
    domain = Domain(
        name="toy",
        routers=[],
        magic=Magic(rows=[MagicRow("amount", "*.42", "T1", "a | b")], codes={"T1": "Toy"}),
    )
    tables = render_tables([domain], sections={})
    assert "| amount | *.42 | T1 | a \\| b |" in tables
    assert "| `T1` | Toy |" in tables


def test_the_cli_refreshes_a_stale_copy_and_check_refuses_it(tmp_path: Path) -> None:
    stale = tmp_path / "errors.md"
    stale.write_text(f"# Errors\n\n{BEGIN}\n| old |\n{END}\n", encoding="utf-8")
    runner = CliRunner()
    checked = runner.invoke(main, ["docs", "errors", "--path", str(stale), "--check"])
    assert checked.exit_code == 1
    assert "out of date: run `sandbox docs errors`" in checked.output
    assert "| old |" in stale.read_text(encoding="utf-8")
    refreshed = runner.invoke(main, ["docs", "errors", "--path", str(stale)])
    assert refreshed.exit_code == 0, refreshed.output
    assert "| old |" not in stale.read_text(encoding="utf-8")
    assert "| `U30` | Debit has failed |" in stale.read_text(encoding="utf-8")
    again = runner.invoke(main, ["docs", "errors", "--path", str(stale), "--check"])
    assert again.exit_code == 0, again.output
