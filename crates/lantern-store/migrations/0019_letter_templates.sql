-- Letter templates a council edits (the administration pages, `lantern
-- council template`), versioned like council settings: a change retires the
-- row in force and adds one (`import_id`/`added_in` name the
-- `letter_template` import that made it, so who and when, and its audit
-- entry). Keyed by (`council`, `name`), the template's file name
-- (`letter.md.j2`, `letter.html.j2`). `source` is the template's text;
-- null means "the default" (the deployment's templates folder, else the
-- shipped one), which is how reverting is recorded. `summary` says what the
-- change did in lines ("3 lines added, 1 removed"). A letter made at data
-- version N uses the rows in force at N.
CREATE TABLE letter_templates (
    id          INTEGER PRIMARY KEY,
    council     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    source      TEXT,
    summary     TEXT    NOT NULL,
    import_id   BIGINT  NOT NULL REFERENCES imports (id),
    line        BIGINT  NOT NULL,
    added_in    BIGINT  NOT NULL REFERENCES imports (id),
    retired_in  BIGINT           REFERENCES imports (id)
);
CREATE INDEX letter_templates_by_council ON letter_templates (council, name, retired_in);
