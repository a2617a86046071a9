"""PostgreSQL's hot statements as ``$n`` text: numbered once, parameters passed in that order."""

from __future__ import annotations

from sandbox.storage.pg_queue import _as_one, _positional


def test_a_name_used_twice_gets_one_number() -> None:
    text, names = _positional("UPDATE a SET b = b - %(amount)s WHERE n = %(n)s AND b >= %(amount)s")
    assert text == b"UPDATE a SET b = b - $1 WHERE n = $2 AND b >= $1"
    assert names == ("amount", "n")


def test_a_batch_numbers_each_statement_after_the_ones_before() -> None:
    text, order = _as_one(
        ("INSERT INTO t VALUES (%(a)s, %(b)s, %(a)s)", "UPDATE u SET y = %(a)s WHERE id = %(id)s")
    )
    assert text == (  # listed last first, so that they run in order (see ``_as_one``)
        b"WITH q1 AS (UPDATE u SET y = $3 WHERE id = $4), "
        b"q0 AS (INSERT INTO t VALUES ($1, $2, $1)) SELECT 1"
    )
    # the same name in two statements is two parameters: each statement's own value
    assert order == ((0, "a"), (0, "b"), (1, "a"), (1, "id"))
