-- Figures that follow their submissions, and submissions that can be
-- withdrawn.
--
-- `records_owed`: a recomputation of the figures from records that is owed.
-- A row is written in the same transaction as what makes the figures stale
-- (a submission becoming current, one withdrawn), and settled (`settled_in`,
-- set once, like `retired_in`) in the same transaction as the figure sets
-- that bring them up to date. So a process killed between the two leaves
-- the debt on record: the next writing command pays it, and readers say
-- that figures are being brought up to date. `areas` is the JSON list of
-- areas whose figures it touches; `submission` and `previous` are the
-- submission that became current and the one it took over from (for the
-- incremental recomputation of only the years touched).
CREATE TABLE records_owed (
    id          INTEGER PRIMARY KEY,
    import_id   BIGINT  NOT NULL REFERENCES imports (id),
    reason      TEXT    NOT NULL,
    submission  BIGINT           REFERENCES submissions (id),
    previous    BIGINT           REFERENCES submissions (id),
    areas       TEXT    NOT NULL,
    at          TEXT    NOT NULL,
    settled_in  BIGINT           REFERENCES imports (id)
);
CREATE INDEX records_owed_unsettled ON records_owed (settled_in);

-- A wrongly dated (or otherwise wrong) submission withdrawn by an officer:
-- set once, with the reason; a withdrawn submission is never current.
ALTER TABLE submissions ADD COLUMN withdrawn_in BIGINT REFERENCES imports (id);
ALTER TABLE submissions ADD COLUMN withdrawn_reason TEXT;
