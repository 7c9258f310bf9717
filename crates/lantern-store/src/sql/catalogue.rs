//! The catalogue, kept as layers: Lantern's shipped layer (one per
//! upgrade that changed it) and the council's extensions, each added by an
//! import; the catalogue at a data version is the newest shipped layer up
//! to it, then the extensions in order ([`catalogue_at`]).

use lantern_core::catalogue::Catalogue;
use serde_json::json;

use crate::engine::{Engine, Kind, Mode, Tx};
use crate::{ImportMeta, ImportReceipt, StoreError};

use super::audit::{audit, begin_import, data_version, finish_import};
use super::{SqlStore, param, param_text, text};

/// The name of the catalogue layers that hold Lantern's shipped catalogue
/// (the first, at init, and one per upgrade that changed it).
pub(super) const SHIPPED_LAYER: &str = "catalogue/indicators.toml";

/// The catalogue as it stood at `version`: the newest shipped layer up to
/// then, extended by the council's layers in the order they came.
pub(super) fn catalogue_at(tx: &mut dyn Tx, version: i64) -> Result<Catalogue, StoreError> {
    let rows = tx.query(
        "SELECT name, body FROM catalogue_layers WHERE added_in <= $1 ORDER BY id",
        &[param(version)],
        &[Kind::Text, Kind::Text],
    )?;
    let layers: Layers = rows.iter().map(|l| (text(&l[0]), text(&l[1]))).collect();
    if let Some(built) = LAST_BUILT.lock().ok().and_then(|last| {
        last.as_ref()
            .filter(|(read, _)| *read == layers)
            .map(|(_, c)| c.clone())
    }) {
        return Ok(built);
    }
    let shipped = layers.iter().rposition(|(name, _)| name == SHIPPED_LAYER);
    let extensions = layers
        .iter()
        .enumerate()
        .filter(|(_, (name, _))| name != SHIPPED_LAYER)
        .map(|(i, _)| i);
    let mut catalogue = Catalogue::default();
    for i in shipped.into_iter().chain(extensions) {
        let (name, body) = &layers[i];
        catalogue
            .extend_from_toml(name, body)
            .map_err(StoreError::Catalogue)?;
    }
    if let Ok(mut last) = LAST_BUILT.lock() {
        *last = Some((layers, catalogue.clone()));
    }
    Ok(catalogue)
}

/// The last catalogue built and the layers (name and text, in order) it was
/// built from. A long-running process (`lantern serve`) reads the same
/// layers for nearly every page, and parsing their TOML was most of what
/// reading the catalogue cost; layers that differ in any byte (another
/// version, another database) are built afresh. Building is a pure
/// function of the layers, so the catalogue given is the same either way.
static LAST_BUILT: std::sync::Mutex<Option<(Layers, Catalogue)>> = std::sync::Mutex::new(None);

/// Catalogue layers as read: each one's name and text, in order.
type Layers = Vec<(String, String)>;

pub(super) fn catalogue<E: Engine>(store: &SqlStore<E>) -> Result<Catalogue, StoreError> {
    store
        .engine
        .transaction(Mode::Read, |tx| catalogue_at(tx, i64::MAX))
}

pub(super) fn extend_catalogue<E: Engine>(
    store: &mut SqlStore<E>,
    meta: &ImportMeta,
    body: &str,
) -> Result<ImportReceipt, StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        // Checked against what is held, inside the write: a bad extension changes nothing.
        let mut catalogue = catalogue_at(tx, i64::MAX)?;
        catalogue
            .extend_from_toml(&meta.file, body)
            .map_err(StoreError::Extension)?;
        let import = begin_import(tx, meta, 1)?;
        // A council's file never takes the shipped layers' name.
        let name = if meta.file == SHIPPED_LAYER {
            format!("council:{}", meta.file)
        } else {
            meta.file.clone()
        };
        tx.execute(
            "INSERT INTO catalogue_layers (name, body, added_in) VALUES ($1, $2, $3)",
            &[param_text(&name), param_text(body), param(import)],
        )?;
        audit(
            tx,
            import,
            meta,
            "catalogue.extend",
            &meta.file,
            json!({ "sha256": meta.sha256 }),
        )?;
        let mut receipt = ImportReceipt {
            import,
            rows: 1,
            added: 1,
            ..Default::default()
        };
        finish_import(tx, import, &receipt)?;
        receipt.data_version = data_version(tx)?;
        Ok(receipt)
    })
}

pub(super) fn upgrade_catalogue<E: Engine>(
    store: &mut SqlStore<E>,
    meta: &ImportMeta,
    shipped: &str,
) -> Result<ImportReceipt, StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        let held = tx.query(
            "SELECT body FROM catalogue_layers WHERE name = $1 ORDER BY id DESC LIMIT 1",
            &[param_text(SHIPPED_LAYER)],
            &[Kind::Text],
        )?;
        if held.first().map(|r| text(&r[0])).as_deref() == Some(shipped) {
            // Nothing to record: no import is listed for it.
            return Ok(ImportReceipt {
                rows: 1,
                unchanged: 1,
                data_version: data_version(tx)?,
                ..Default::default()
            });
        }
        let import = begin_import(tx, meta, 1)?;
        tx.execute(
            "INSERT INTO catalogue_layers (name, body, added_in) VALUES ($1, $2, $3)",
            &[
                param_text(SHIPPED_LAYER),
                param_text(shipped),
                param(import),
            ],
        )?;
        // The new shipped catalogue must still take the council's
        // extensions; otherwise nothing changes.
        catalogue_at(tx, i64::MAX).map_err(|e| match e {
            StoreError::Catalogue(e) => StoreError::Extension(e),
            other => other,
        })?;
        audit(
            tx,
            import,
            meta,
            "catalogue.upgrade",
            SHIPPED_LAYER,
            json!({ "sha256": meta.sha256 }),
        )?;
        let mut receipt = ImportReceipt {
            import,
            rows: 1,
            added: 1,
            ..Default::default()
        };
        finish_import(tx, import, &receipt)?;
        receipt.data_version = data_version(tx)?;
        Ok(receipt)
    })
}
