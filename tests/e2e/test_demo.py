"""`make demo`'s path, `python -m demo --once`, from the checkout as a developer runs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_syncs_once_and_e_planning_holds_what_the_run_says(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINKRON_")}
    env["SINKRON_DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "demo", "--once", "--size", "300", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "berhasil" in result.stdout
    assert "cocok dengan hasil run" in result.stdout
    assert "kunci admin demo: skr_" in result.stdout
    # The follow-up story leaves every status at least once.
    for status in ("belum_menindaklanjuti", "sedang_menindaklanjuti", "tuntas"):
        assert f"  {status} " in result.stdout
    # the digests of one OPD per status and the pemda, in the folder the demo's mailbox prints
    assert "4 dari 4 terkirim ke kotak surat demo" in result.stdout
    found = re.search(r"surel ditulis ke (\S+)\)", result.stdout)
    assert found, result.stdout[-2000:]
    mails = Path(found.group(1))
    try:
        assert sorted(p.name for p in mails.iterdir()) == [f"00{n}.eml" for n in range(1, 5)]
        read = [
            message_from_bytes((mails / f"00{n}.eml").read_bytes(), policy=policy.default)
            for n in range(1, 5)
        ]
        texts = [m.get_body(preferencelist=("plain",)) for m in read]
        statuses = sorted(
            line.split("  ")[-1].strip()
            for text in texts[:3]
            if text is not None
            for line in str(text.get_content()).splitlines()
            if line.startswith("Status tindak lanjut")
        )
        assert statuses == ["Belum menindaklanjuti", "Sedang menindaklanjuti", "Tuntas"]
        assert "Ringkasan pemda: 1 OPD belum menindaklanjuti" in str(read[3]["Subject"])
    finally:
        shutil.rmtree(mails)
    # A key is a person's: the demo's keys name the people they belong to.
    assert ", milik Siti Aminah (demo " in result.stdout
    assert ", milik Rahmat Hidayat (demo " in result.stdout
