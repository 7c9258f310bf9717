-- Lantern's own publications of figures (`lantern publish`, the analysts'
-- web action) and the publication calendar the public sees.
--
-- A publication is a release: its figures passed disclosure control against
-- everything released before, and each of its cells is also a
-- `disclosure_log` line under the publication's reference (written in the
-- same transaction), so later answers are checked against it. Here is what
-- the public pages read: the publication (`publications`) and its cells as
-- published (`published_figures`: words, never a small count's value; the
-- value only of a cell given exactly). Append-only.
--
-- `planned_publications`: what the council says it will publish and when,
-- set by analysts and administrators; append-only (a plan is never hidden:
-- one whose day has passed unpublished shows as late).

CREATE TABLE publications (
    id           INTEGER PRIMARY KEY,
    council      TEXT    NOT NULL,
    reference    TEXT    NOT NULL,
    indicator    TEXT    NOT NULL,
    area         TEXT    NOT NULL,
    period_from  TEXT    NOT NULL,
    period_to    TEXT    NOT NULL,
    breakdowns   TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    published_at TEXT    NOT NULL,
    published_by TEXT    NOT NULL,
    data_version BIGINT  NOT NULL
);
CREATE UNIQUE INDEX publications_by_reference ON publications (council, reference);
CREATE INDEX publications_by_indicator ON publications (council, indicator, id);

CREATE TABLE published_figures (
    id              INTEGER PRIMARY KEY,
    council         TEXT    NOT NULL,
    reference       TEXT    NOT NULL,
    position        BIGINT  NOT NULL,
    indicator       TEXT    NOT NULL,
    area            TEXT    NOT NULL,
    caption         TEXT    NOT NULL,
    period          TEXT    NOT NULL,
    period_label    TEXT    NOT NULL,
    breakdown       TEXT    NOT NULL,
    breakdown_label TEXT    NOT NULL,
    decision        TEXT    NOT NULL,
    value           BIGINT,
    released        TEXT    NOT NULL
);
CREATE INDEX published_figures_by_indicator ON published_figures (council, indicator, area, period, id);
CREATE INDEX published_figures_by_reference ON published_figures (council, reference, position);

CREATE TABLE planned_publications (
    id         INTEGER PRIMARY KEY,
    council    TEXT    NOT NULL,
    indicator  TEXT    NOT NULL,
    period     TEXT    NOT NULL,
    planned_on TEXT    NOT NULL,
    planned_by TEXT    NOT NULL,
    planned_at TEXT    NOT NULL
);
CREATE INDEX planned_publications_by_day ON planned_publications (council, planned_on, id);
