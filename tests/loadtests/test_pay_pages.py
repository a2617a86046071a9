"""``loadtests.pay_pages`` reads the WAL file itself: every committed frame, each page once in
the distinct count, and the B-tree each page belongs to."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from loadtests.pay_pages import by_btree, wal_frames


def test_the_wal_is_read_frame_by_frame_and_split_by_btree(tmp_path: Path) -> None:
    path = tmp_path / "pages.db"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        conn.execute("CREATE INDEX t_v ON t (v)")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert wal_frames(Path(f"{path}-wal")) == []
        for commit in range(3):  # three COMMITs, each changing the table's and index's page
            conn.execute("INSERT INTO t (v) VALUES (?)", (f"row {commit}",))
        frames = wal_frames(Path(f"{path}-wal"))
        assert len(frames) == 6
        assert len(set(frames)) == 2
        split = {name: (n, distinct) for name, n, distinct in by_btree(path, frames, 3)}
        assert split == {"t": (1.0, 1 / 3), "t_v": (1.0, 1 / 3)}
    finally:
        conn.close()
