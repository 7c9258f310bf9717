-- The disclosure log as the public reads it: one row per sent request, with
-- its title, its questions and figures (the published copy: the requester
-- and other people's names removed, figures labelled in words) as JSON, its
-- outcome, the topics (indicator and statement-topic codes) it was about, and
-- the words it is searched by. Written once, when the answer is sent, in the
-- same transaction as the per-figure `disclosure_log` lines.
--
-- Full-text search is the one thing each engine spells its own way: SQLite
-- keeps an FTS5 index (external content, filled by a trigger, so a restored
-- dump is indexed as it is inserted); PostgreSQL a generated `tsvector`
-- column with a GIN index. The lines written `-- sqlite: ` run on SQLite
-- only, those written `-- postgres: ` on PostgreSQL only.

CREATE TABLE public_log (
    id          INTEGER PRIMARY KEY,
    council     TEXT    NOT NULL,
    reference   TEXT    NOT NULL,
    sent_at     TEXT    NOT NULL,
    year        BIGINT  NOT NULL,
    title       TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    topics      TEXT    NOT NULL,
    questions   TEXT    NOT NULL,
    search_text TEXT    NOT NULL,
    recorded    BIGINT  NOT NULL DEFAULT 1
);
CREATE INDEX public_log_by_council ON public_log (council, sent_at, id);
CREATE INDEX public_log_by_year ON public_log (council, year, sent_at);
-- sqlite: CREATE VIRTUAL TABLE public_log_search USING fts5(search_text, content='public_log', content_rowid='id', tokenize='porter unicode61');
-- sqlite: CREATE TRIGGER public_log_indexed AFTER INSERT ON public_log BEGIN INSERT INTO public_log_search (rowid, search_text) VALUES (new.id, new.search_text); END;
-- postgres: ALTER TABLE public_log ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', search_text)) STORED;
-- postgres: CREATE INDEX public_log_searched ON public_log USING GIN (search);

-- Answers sent before this version: one entry each, from their log lines;
-- their questions were not kept for the public (`recorded` 0: the page says
-- so and links the published letter), their title is their reference.
INSERT INTO public_log (council, reference, sent_at, year, title, outcome, topics, questions,
    search_text, recorded)
SELECT council, reference, min(sent_at), CASE WHEN substr(min(sent_at), 1, 4) BETWEEN '1000' AND '9999'
        THEN CAST(substr(min(sent_at), 1, 4) AS BIGINT) ELSE 0 END, reference,
    CASE
        WHEN sum(CASE WHEN decision IN ('given', 'statement') THEN 0 ELSE 1 END) = 0 THEN 'answered'
        WHEN sum(CASE WHEN decision IN ('given', 'statement') THEN 1 ELSE 0 END) > 0 THEN 'partly_answered'
        WHEN sum(CASE WHEN decision = 'not_held' THEN 0 ELSE 1 END) = 0 THEN 'not_held'
        ELSE 'refused'
    END,
    '', '[]', reference, 0
FROM disclosure_log
GROUP BY council, reference
ORDER BY min(id);
