"""``seawatch claims ...`` end to end (exit codes, one-line errors)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from seawatch.cli import app

runner = CliRunner()
TEXT = (
    "At least 2 vessel engagements took place in the Caribbean on 8 December. "
    "No vessels went dark in the Caribbean Sea on 9 December. "
    "Go-fast boats attacked a tanker on 8 December."
)


def _run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args), input=input, env={"COLUMNS": "250"})
    return r.exit_code, r.stdout, r.stderr


def test_extract_add_list_check(claim_store_dir: Path, tmp_path: Path) -> None:
    store = tmp_path / "s"
    shutil.copytree(claim_store_dir, store)
    news = tmp_path / "news.txt"
    news.write_text(TEXT)
    code, out, err = _run(
        "claims",
        "extract",
        str(news),
        "--published",
        "2025-12-11",
        "--store",
        str(store),
        "--format",
        "json",
        "--add",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert [c["kind"] for c in doc["claims"]] == ["engagement", "dark", "attack"]
    assert "kept 3 claim(s)" in err
    code, out, _ = _run("claims", "list", "--store", str(store), "--format", "json")
    assert code == 0 and len(json.loads(out)) == 3
    code, out, err = _run("claims", "check", "--store", str(store), "--format", "json")
    assert code == 0, err
    verdicts = sorted(c["verdict"] for c in json.loads(out))
    assert verdicts == ["contradicted", "supported", "unobservable"]
    assert len(list((store / "claims" / "checks").glob("*.json"))) == 3
    one = json.loads(out)[0]["claim_id"]
    code, out, _ = _run("claims", "check", one, "--store", str(store))
    assert code == 0 and one in out
    code, out, _ = _run(
        "claims", "check", str(news), "--published", "2025-12-11", "--store", str(store)
    )
    assert code == 0 and "contradicted" in out


def test_add_file(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("kind: dark\nsentence: The tanker went dark.\n")
    code, _, err = _run("claims", "add", str(f), "--store", str(tmp_path / "s"))
    assert code == 0 and "kept 1 claim" in err
    code, out, _ = _run("claims", "list", "--store", str(tmp_path / "s"))
    assert code == 0 and "The tanker went dark." in out


def test_bad_input_one_line_exit_1(tmp_path: Path) -> None:
    empty = tmp_path / "e.txt"
    empty.write_text("")
    for args, stdin in (
        (["claims", "extract", str(empty)], None),
        (["claims", "extract", "-"], "\x00\x01binary"),
        (
            ["claims", "extract", "-"],
            "Los buques de guerra interceptaron al menos catorce "
            "embarcaciones en el mar Caribe la semana pasada, dijeron los funcionarios.",
        ),
        (["claims", "extract", str(tmp_path / "missing.txt")], None),
        (["claims", "extract", str(tmp_path)], None),
    ):
        code, out, err = _run(*args, input=stdin)
        assert code == 1, (args, err)
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert out == ""
    code, _, err = _run("claims", "extract", str(empty), "--published", "soon")
    assert code == 2
    code, _, err = _run("claims", "check", "c-unknown", "--store", str(tmp_path / "none"))
    assert code == 1 and "no seawatch store" in err


def test_evaluate_asam_small(tmp_path: Path, shared_data: Path) -> None:
    src = shared_data / "nga-asam" / "asam-2022-06-21.csv"
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    small = tmp_path / "asam.csv"
    # the header and the first records (each record spans two lines: the position)
    small.write_text("".join(lines[:121]), encoding="utf-8")
    code, out, err = _run("claims", "evaluate-asam", str(small), "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    assert r["overall"]["records"] == 60
    assert r["overall"]["date"]["accuracy"] >= 0.85
    assert r["overall"]["position_coordinate"]["accuracy"] >= 0.85
    code, out, _ = _run("claims", "evaluate-asam", str(small))
    assert code == 0 and out.startswith("## Claim extraction on the NGA ASAM corpus")


def test_markup_in_text_is_shown_as_written(claim_store_dir: Path, tmp_path: Path) -> None:
    news = tmp_path / "n.txt"
    news.write_text("The tanker [/] [link=http://x]A[/link] :ship: was seized on 8 December.")
    code, out, err = _run("claims", "extract", str(news), "--published", "2025-12-11")
    assert code == 0, err
    assert "[/]" in out and ":ship:" in out
    code, out, err = _run(
        "claims", "check", str(news), "--published", "2025-12-11", "--store", str(claim_store_dir)
    )
    assert code == 0, err
    assert "[/]" in out


def test_report_shows_claims_of_the_region_and_period(
    claim_store_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "s"
    shutil.copytree(claim_store_dir, store)
    news = tmp_path / "news.txt"
    news.write_text(TEXT + " Two tankers were seized in the Gulf of Mexico on 8 December.")
    code, _, err = _run(
        "claims", "extract", str(news), "--published", "2025-12-11", "--store", str(store), "--add"
    )
    assert code == 0, err
    code, _, err = _run("claims", "check", "--store", str(store))
    assert code == 0, err
    args = [
        "report",
        "--store",
        str(store),
        "--region",
        "caribbean",
        "--since",
        "2025-12-08",
        "--until",
        "2025-12-10",
    ]
    code, out, err = _run(*args, "--format", "json")
    assert code == 0, err
    rows = json.loads(out)["claims"]
    assert sorted(r["claim"]["kind"] for r in rows) == ["dark", "engagement"]
    assert all(r["check"]["verdict"] for r in rows)
    code, out, err = _run(*args)
    assert code == 0, err
    assert "claims about this region and period" in out and "contradicted" in out
    code, out, _ = _run(
        "report",
        "--store",
        str(store),
        "--region",
        "caribbean",
        "--since",
        "2026-01-01",
        "--format",
        "json",
    )
    assert json.loads(out)["claims"] == []
