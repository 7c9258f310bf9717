//! What the store keeps of Lantern's own publications of figures
//! (migration 21): a publication with its cells as the public reads them,
//! and the publication calendar (planned publications). The rows are
//! written by [`crate::Store::publish`] in one transaction with the
//! publication's disclosure-log lines and its audit entry, and by
//! [`crate::Store::plan_publication`]; both append only.

/// A publication to write: what it covers, who published it from which
/// data version, and its cells as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPublication {
    /// Its reference (`PUB-…`), unique within the council; its
    /// disclosure-log lines carry it.
    pub reference: String,
    /// The indicator's code.
    pub indicator: String,
    /// The area's code.
    pub area: String,
    /// The first period (canonical).
    pub from: String,
    /// The last period (canonical).
    pub to: String,
    /// The breakdowns published beside the totals (dimension codes).
    pub breakdowns: Vec<String>,
    /// Its title in words.
    pub title: String,
    /// The data version its figures were decided from.
    pub data_version: i64,
    /// The newest disclosure-log line (every council's) when disclosure
    /// control decided it: refused, nothing written, if another line has
    /// been added since (an answer or publication released meanwhile may
    /// combine with it).
    pub log_seen: i64,
    /// Its cells, in order.
    pub cells: Vec<PublishedCell>,
}

/// One cell of a publication as the public reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedCell {
    /// The table's caption in words ("People in treatment by age band").
    pub caption: String,
    /// The period (canonical: `2018/19`).
    pub period: String,
    /// The period in words.
    pub period_label: String,
    /// The breakdown key (`age_band=18-24`; empty for a total). Not shown
    /// on pages: it is how the disclosure log keys the cell.
    pub breakdown: String,
    /// The breakdown in words (empty for a total).
    pub breakdown_label: String,
    /// `given`, `suppressed`, `not_held` or `withheld`.
    pub decision: String,
    /// The count, only for a cell given exactly (never a small count's).
    pub value: Option<i64>,
    /// What the publication says ("1,203 people", "fewer than 5").
    pub released: String,
}

/// A publication as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPublication {
    /// Its reference.
    pub reference: String,
    /// The indicator's code.
    pub indicator: String,
    /// The area's code.
    pub area: String,
    /// The first period (canonical).
    pub from: String,
    /// The last period (canonical).
    pub to: String,
    /// The breakdowns published beside the totals.
    pub breakdowns: Vec<String>,
    /// Its title.
    pub title: String,
    /// When it was published (RFC 3339).
    pub published_at: String,
    /// Who published it.
    pub published_by: String,
    /// The data version its figures were decided from.
    pub data_version: i64,
}

/// A published cell with the publication it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedFigure {
    /// The publication's reference.
    pub reference: String,
    /// The indicator's code.
    pub indicator: String,
    /// The area's code.
    pub area: String,
    /// The cell.
    pub cell: PublishedCell,
}

/// Which published cells to read: every filter given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishedQuery {
    /// Only this publication.
    pub reference: Option<String>,
    /// Only this indicator.
    pub indicator: Option<String>,
    /// Only this area.
    pub area: Option<String>,
    /// Only this period (canonical).
    pub period: Option<String>,
    /// How many at most.
    pub limit: usize,
    /// How many to skip (newest publication first, then in its order).
    pub offset: usize,
}

/// One page of published cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPage {
    /// The cells.
    pub figures: Vec<PublishedFigure>,
    /// How many cells the query finds in all.
    pub total: usize,
}

/// A planned publication to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    /// The indicator's code.
    pub indicator: String,
    /// The period it will publish (canonical).
    pub period: String,
    /// The day it is planned for (ISO).
    pub planned_on: String,
}

/// A planned publication as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPlan {
    /// Its id.
    pub id: i64,
    /// The indicator's code.
    pub indicator: String,
    /// The period it will publish (canonical).
    pub period: String,
    /// The day it is planned for (ISO).
    pub planned_on: String,
    /// Who planned it.
    pub planned_by: String,
    /// When.
    pub planned_at: String,
}
