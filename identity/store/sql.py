"""The auth path's statements as SQL text (see ``sandbox/storage/raw.py`` for why: SQLAlchemy
Core spent more CPU building these four statements than the rest of an auth's unit of work).

Every statement names ``world_id = :world_id`` (or inserts it); the stores pass their own.
"""

from __future__ import annotations

from sandbox.storage.raw import Raw

ADD_AUTH_RECORD = Raw("""
    INSERT INTO auth_records (world_id, id, txn, replay_key, uid_token, uid_last4, ret, err,
                              actn, uses, easy_path, pid_ts, created_us)
    VALUES (:world_id, :id, :txn, :replay_key, :uid_token, :uid_last4, :ret, :err,
            :actn, :uses, :easy_path, :pid_ts, :created_us)
""")
REPLAY_SEEN = Raw("""
    SELECT 1 FROM auth_records WHERE world_id = :world_id AND replay_key = :replay_key LIMIT 1
""")
KEEP_UID_TOKEN = Raw("""
    INSERT INTO uid_tokens (world_id, token, uid, created_us)
    VALUES (:world_id, :token, :uid, :created_us)
    ON CONFLICT (world_id, token) DO NOTHING
""")
