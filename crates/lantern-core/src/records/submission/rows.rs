//! The rules of a data row: every column read, dates that must fit
//! together, identifiers unique across the file, rows of an episode that
//! must agree ([`Sig`]), and a good row pseudonymised into a [`Record`]
//! (its client a keyed hash of the attributor).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::cells::{
    parse_area, parse_code, parse_disability, parse_discharge_reason, parse_drug, parse_ethnicity,
    parse_initial, parse_naloxone, parse_sex, text, trim,
};
use super::check::{RowCheck, Slot};
use super::reader::{Episode, Kept, Reader};
use super::redact::Shown;
use super::report::{plural, thousands};
use super::*;
use crate::records::codes::{
    AccommodationNeed, Employment, Funding, InjectingStatus, Intervention, ParentalStatus,
    ReferralSource, Setting, Sex,
};
use crate::records::{Circumstances, ClientKey, Day, Recorded};

/// What every row of an episode must agree on, as first seen. `None` for a
/// value that could not be read (not compared).
#[derive(Debug, Clone, Copy)]
pub(super) struct Sig {
    client: Option<u64>,
    finitial: Option<u8>,
    sinitial: Option<u8>,
    dob: Option<Day>,
    sex: Option<Sex>,
    ethnic: Option<u8>,
    la: Option<[u8; 9]>,
    refld: Option<Day>,
    triaged: Option<Day>,
    epstart: Option<Day>,
    disd: Slot<Day>,
    disrsn: Slot<u8>,
    drugs: [Slot<u16>; 3],
    /// The optional fields as stored bytes ([`Recorded::to_byte`]).
    circumstances: [Option<u8>; 6],
}

impl Sig {
    /// The columns on which two rows of an episode disagree, as a bit set.
    fn differences(&self, other: &Sig) -> u32 {
        fn d<T: PartialEq>(set: &mut u32, col: usize, a: &Option<T>, b: &Option<T>) {
            if let (Some(a), Some(b)) = (a, b)
                && a != b
            {
                *set |= 1 << col;
            }
        }
        let mut set = 0;
        d(&mut set, CLIENT, &self.client, &other.client);
        d(&mut set, FINITIAL, &self.finitial, &other.finitial);
        d(&mut set, SINITIAL, &self.sinitial, &other.sinitial);
        d(&mut set, DOB, &self.dob, &other.dob);
        d(&mut set, SEX, &self.sex, &other.sex);
        d(&mut set, ETHNIC, &self.ethnic, &other.ethnic);
        d(&mut set, LA, &self.la, &other.la);
        d(&mut set, REFLD, &self.refld, &other.refld);
        d(&mut set, TRIAGED, &self.triaged, &other.triaged);
        d(&mut set, EPSTART, &self.epstart, &other.epstart);
        d(&mut set, DISD, &self.disd, &other.disd);
        d(&mut set, DISRSN, &self.disrsn, &other.disrsn);
        d(&mut set, DRUG1, &self.drugs[0], &other.drugs[0]);
        d(&mut set, DRUG2, &self.drugs[1], &other.drugs[1]);
        d(&mut set, DRUG3, &self.drugs[2], &other.drugs[2]);
        for (i, col) in [RFLS, EMPSTAT, ACCMNEED, PRNTSTAT, INJSTAT, DISABILITY]
            .into_iter()
            .enumerate()
        {
            d(
                &mut set,
                col,
                &self.circumstances[i],
                &other.circumstances[i],
            );
        }
        set
    }
}

/// The attributor as hashed: `F|S|YYYYMMDD|X`.
pub(super) type Attributor = [u8; 14];

impl<'c, 'a> Reader<'c, 'a> {
    pub(super) fn row(&mut self, line: u64, record: &csv::ByteRecord) {
        if record.iter().all(|cell| trim(cell).is_empty()) {
            // A row of empty cells (spreadsheets leave them): not a row.
            self.sink
                .warning(line, None, Shown::Nothing, || "empty row ignored".into());
            return;
        }
        self.rows += 1;
        if record.len() != self.width {
            self.bad_rows += 1;
            let n = record.len() as u64;
            let width = self.width;
            self.sink.error(line, None, Shown::Nothing, || {
                format!(
                    "has {} {}, the header has {width}",
                    thousands(n),
                    plural(n, "field", "fields")
                )
            });
            return;
        }
        let mut cells: [&[u8]; NCOLS] = [b""; NCOLS];
        let mut raw_lengths = [0usize; NCOLS];
        for col in 0..NCOLS {
            // An optional column the file does not have reads as empty
            // here; `submitted` tells it apart from an empty cell.
            let raw = record.get(self.map[col]).unwrap_or(b"");
            raw_lengths[col] = raw.len();
            cells[col] = trim(raw);
        }
        let mut r = RowCheck {
            line,
            cells,
            unusable: 0,
            bad: false,
            sink: &mut self.sink,
            ctx: self.ctx,
        };
        r.check_cells(&raw_lengths);
        let bounds = &self.bounds;

        // The agency: one per file, registered. An unregistered code is
        // not shown (it may be anything typed into the column).
        match r.cell(AGNCY) {
            Some(Some(code)) => match &self.agency {
                Some(expected) => {
                    if code != expected.as_bytes() {
                        let from = &self.agency_from;
                        r.bad = true;
                        let shown = r.shown(AGNCY, true);
                        r.sink.file_error(line, Some("AGNCY"), shown, || {
                            format!("differs from {from}: a file holds one provider's records")
                        });
                    }
                }
                None => {
                    let code = text(code).to_string();
                    if self.ctx.agencies.contains(&code) {
                        self.agency_from = format!("the agency on line {line} ('{code}')");
                    } else {
                        r.bad = true;
                        let shown = r.shown(AGNCY, true);
                        r.sink.file_error(line, Some("AGNCY"), shown, || {
                            "unknown agency: register it with `lantern import agencies`".into()
                        });
                        self.agency_from = format!("the agency on line {line}");
                    }
                    self.agency = Some(code);
                }
            },
            Some(None) => r.error(AGNCY, || "missing".into()),
            None => {}
        }

        // The client.
        let client = r.cell(CLIENT);
        let client = r.required(CLIENT, client).map(|c| self.hash.bytes(c));
        let finitial = r.parse(FINITIAL, parse_initial);
        let finitial = r.required(FINITIAL, finitial);
        let sinitial = r.parse(SINITIAL, parse_initial);
        let sinitial = r.required(SINITIAL, sinitial);
        let dob = r.date(DOB, bounds);
        let dob = r.required(DOB, dob);
        if let Some(d) = dob
            && d.year < 1902
        {
            r.unusable |= 1 << DOB;
            r.error(DOB, || "born before 1902: check the date of birth".into());
        }
        let sex = r.parse(SEX, parse_sex);
        let sex = r.required(SEX, sex);
        let ethnic = r.parse(ETHNIC, parse_ethnicity);
        let ethnic = r.required(ETHNIC, ethnic);
        let la = r.parse(LA, parse_area);
        let la = r.required(LA, la);

        // The episode.
        let episode_id = r.cell(EPISODID);
        let episode_id = r.required(EPISODID, episode_id);
        let refld = r.date(REFLD, bounds);
        let refld = r.required(REFLD, refld);
        let triaged = r.date(TRIAGED, bounds);
        let triaged = r.required(TRIAGED, triaged);
        let epstart = r.date(EPSTART, bounds);
        let epstart = r.required(EPSTART, epstart);
        let disd = r.date(DISD, bounds);
        let disrsn = match r.parse(DISRSN, parse_discharge_reason) {
            Some(Some((code, Some(old)))) => {
                r.warning(DISRSN, || {
                    format!("old payment-by-results code {old}, read as {code}")
                });
                Some(Some(code))
            }
            Some(Some((code, None))) => Some(Some(code)),
            Some(None) => Some(None),
            None => None,
        };
        let drug1 = r.parse(DRUG1, parse_drug);
        let drug1 = r.required(DRUG1, drug1);
        let mut drug2 = r.parse(DRUG2, parse_drug);
        let mut drug3 = r.parse(DRUG3, parse_drug);
        if let (Some(Some(d2)), Some(d1)) = (drug2, drug1)
            && d2 == d1
        {
            r.warning(DRUG2, || "repeats DRUG1; ignored".into());
            drug2 = Some(None);
        }
        if let Some(Some(d3)) = drug3 {
            if Some(d3) == drug1 {
                r.warning(DRUG3, || "repeats DRUG1; ignored".into());
                drug3 = Some(None);
            } else if drug2 == Some(Some(d3)) {
                r.warning(DRUG3, || "repeats DRUG2; ignored".into());
                drug3 = Some(None);
            }
        }

        // The intervention.
        let modality_id = r.cell(MODID);
        let modality_id = r.required(MODID, modality_id);
        let modal = r.parse(MODAL, |b| {
            parse_code(b, Intervention::parse, Intervention::ALL, |v| v.code())
        });
        let modal = r.required(MODAL, modal);
        let modset = r.parse(MODSET, |b| {
            parse_code(b, Setting::parse, Setting::ALL, |v| v.code())
        });
        let modset = r.required(MODSET, modset);
        let modst = r.date(MODST, bounds);
        let modst = r.required(MODST, modst);
        let modend = r.date(MODEND, bounds);
        let funding = r.parse(FUNDING, |b| {
            parse_code(b, Funding::parse, Funding::ALL, |v| v.code())
        });
        let funding = r.required(FUNDING, funding);
        let naloxone = r
            .parse(NALOXONE, parse_naloxone)
            .map(Option::unwrap_or_default);

        // The client's circumstances (optional columns): not submitted when
        // the file has no such column, not stated when the cell is empty.
        let map = &self.map;
        fn recorded<T>(submitted: bool, slot: Slot<T>) -> Option<Recorded<T>> {
            if !submitted {
                return Some(Recorded::NotSubmitted);
            }
            Some(match slot? {
                None => Recorded::NotStated,
                Some(v) => Recorded::Code(v),
            })
        }
        let rfls = r.parse(RFLS, |b| {
            parse_code(b, ReferralSource::parse, ReferralSource::ALL, |v| v.code())
        });
        let rfls = recorded(map[RFLS] != usize::MAX, rfls);
        let empstat = r.parse(EMPSTAT, |b| {
            parse_code(b, Employment::parse, Employment::ALL, |v| v.code())
        });
        let empstat = recorded(map[EMPSTAT] != usize::MAX, empstat);
        let accmneed = r.parse(ACCMNEED, |b| {
            parse_code(b, AccommodationNeed::parse, AccommodationNeed::ALL, |v| {
                v.code()
            })
        });
        let accmneed = recorded(map[ACCMNEED] != usize::MAX, accmneed);
        let prntstat = r.parse(PRNTSTAT, |b| {
            parse_code(b, ParentalStatus::parse, ParentalStatus::ALL, |v| v.code())
        });
        let prntstat = recorded(map[PRNTSTAT] != usize::MAX, prntstat);
        let injstat = r.parse(INJSTAT, |b| {
            parse_code(b, InjectingStatus::parse, InjectingStatus::ALL, |v| {
                v.code()
            })
        });
        let injstat = recorded(map[INJSTAT] != usize::MAX, injstat);
        let disability = r.parse(DISABILITY, parse_disability);
        let disability = recorded(map[DISABILITY] != usize::MAX, disability);
        let circumstances = [
            rfls.map(|v| v.to_byte(ReferralSource::index)),
            empstat.map(|v| v.to_byte(Employment::index)),
            accmneed.map(|v| v.to_byte(AccommodationNeed::index)),
            prntstat.map(|v| v.to_byte(ParentalStatus::index)),
            injstat.map(|v| v.to_byte(InjectingStatus::index)),
            disability.map(|v| v.to_byte(crate::records::codes::Disability::index)),
        ];

        // How the dates fit together.
        if let (Some(dob), Some(refld)) = (dob, refld) {
            if dob.days >= refld.days {
                r.error(DOB, || "not before the referral (REFLD)".into());
            } else if let Some(epstart) = epstart
                && dob.age_on(epstart) < 18
            {
                r.error(DOB, || {
                    "under 18: belongs to the young people's data set".into()
                });
            }
        }
        if let (Some(refld), Some(triaged)) = (refld, triaged)
            && triaged.days < refld.days
        {
            r.error(TRIAGED, || "triage before referral".into());
        }
        if let (Some(refld), Some(epstart)) = (refld, epstart) {
            if epstart.days < refld.days {
                r.error(EPSTART, || "episode start before referral".into());
            } else if let Some(triaged) = triaged
                && epstart.days < triaged.days
                && triaged.days >= refld.days
            {
                r.warning(EPSTART, || "episode start before triage (TRIAGED)".into());
            }
        }
        match (disd, disrsn) {
            (Some(Some(_)), Some(None)) => {
                r.error(DISRSN, || "missing: required when DISD is given".into());
            }
            (Some(None), Some(Some(_))) => {
                r.error(DISD, || "missing: required when DISRSN is given".into());
            }
            _ => {}
        }
        let discharge = disd.flatten();
        if let (Some(disd), Some(epstart)) = (discharge, epstart)
            && disd.days < epstart.days
        {
            r.error(DISD, || "discharge before start".into());
        }
        if let Some(modst) = modst {
            if let Some(epstart) = epstart
                && modst.days < epstart.days
            {
                r.error(MODST, || {
                    "intervention starts before the episode (EPSTART)".into()
                });
            }
            if let Some(disd) = discharge
                && modst.days > disd.days
            {
                r.error(MODST, || {
                    "intervention starts after the discharge (DISD)".into()
                });
            }
        }
        if let Some(Some(modend)) = modend {
            if let Some(modst) = modst
                && modend.days < modst.days
            {
                r.error(MODEND, || "intervention ends before it starts".into());
            }
            if let Some(disd) = discharge
                && modend.days > disd.days
            {
                r.error(MODEND, || {
                    "intervention ends after the discharge (DISD)".into()
                });
            }
        }
        if let (Some(Some(_)), Some(None)) = (disd, modend) {
            r.error(MODEND, || {
                "missing: the episode is discharged, so its interventions must have ended".into()
            });
        }

        // Identifiers across the file.
        if let Some(id) = modality_id {
            let (index, new) = self.modality_ids.intern(text(id));
            if new {
                self.modality_lines.push(line);
            } else {
                let first = self.modality_lines.get(index).copied().unwrap_or(0);
                r.error(MODID, || {
                    format!("duplicate modality id, first on line {first}")
                });
            }
        }
        let sig = Sig {
            client,
            finitial,
            sinitial,
            dob: dob.map(|d| d.days),
            sex,
            ethnic,
            la,
            refld: refld.map(|d| d.days),
            triaged: triaged.map(|d| d.days),
            epstart: epstart.map(|d| d.days),
            disd: disd.map(|d| d.map(|d| d.days)),
            disrsn,
            drugs: [drug1.map(Some), drug2, drug3],
            circumstances,
        };
        let episode = episode_id.map(|id| {
            let (index, new) = self.episode_ids.intern(text(id));
            match self.episodes.get(index) {
                Some(first) if !new => {
                    let differences = first.sig.differences(&sig);
                    let first_line = first.first_line;
                    for col in 0..NCOLS {
                        if differences & (1 << col) != 0 {
                            r.error(col, || {
                                format!(
                                    "differs from line {first_line} of the same episode \
                                     (rows of an episode must agree)"
                                )
                            });
                        }
                    }
                    index
                }
                _ => {
                    self.episodes.push(Episode {
                        first_line: line,
                        sig,
                        bad_line: None,
                    });
                    index
                }
            }
        });

        if r.bad {
            self.bad_rows += 1;
            if let Some(e) = episode.and_then(|i| self.episodes.get_mut(i)) {
                e.bad_line.get_or_insert(line);
            }
            return;
        }
        // A good row has every required value.
        let (
            Some(finitial),
            Some(sinitial),
            Some(dob),
            Some(sex),
            Some(ethnic),
            Some(la),
            Some(episode_id),
            Some(episode),
            Some(refld),
            Some(triaged),
            Some(epstart),
            Some(drug1),
            Some(modality_id),
            Some(modal),
            Some(modset),
            Some(modst),
            Some(funding),
        ) = (
            finitial,
            sinitial,
            dob,
            sex,
            ethnic,
            la,
            episode_id,
            episode,
            refld,
            triaged,
            epstart,
            drug1,
            modality_id,
            modal,
            modset,
            modst,
            funding,
        )
        else {
            self.bad_rows += 1;
            return;
        };
        let mut attributor: Attributor = *b"F|S|YYYYMMDD|X";
        attributor[0] = finitial;
        attributor[2] = sinitial;
        attributor[4..12].copy_from_slice(&dob.compact());
        attributor[13] = sex.code().as_bytes().first().copied().unwrap_or(b'Z');
        let client = match (self.last_client, &self.mac) {
            (Some((last, key)), _) if last == attributor => key,
            (_, Some(mac)) => {
                let key = client_key(mac, &attributor);
                self.last_client = Some((attributor, key));
                key
            }
            (_, None) => ClientKey([0; 16]),
        };
        let area = match self.areas.last() {
            Some(last) if *last == la => self.areas.len() - 1,
            _ => match self.area_index.get(&la) {
                Some(&i) => i as usize,
                None => {
                    self.area_index.insert(la, self.areas.len() as u32);
                    self.areas.push(la);
                    self.areas.len() - 1
                }
            },
        };
        self.kept.push(Kept {
            line,
            episode: episode as u32,
            area: area as u32,
        });
        self.records.push(Record {
            client,
            birth: YearMonth {
                year: dob.year,
                month: dob.month,
            },
            sex,
            ethnicity: ethnic,
            episode_id: text(episode_id).to_string(),
            modality_id: text(modality_id).to_string(),
            referral: refld.days,
            triage: triaged.days,
            start: epstart.days,
            discharge: discharge.map(|d| d.days),
            discharge_reason: disrsn.flatten(),
            drugs: [Some(drug1), drug2.flatten(), drug3.flatten()],
            intervention: modal,
            setting: modset,
            modality_start: modst.days,
            modality_end: modend.flatten().map(|d| d.days),
            funding,
            naloxone_kits: naloxone.unwrap_or(0),
            circumstances: Circumstances {
                referral_source: rfls.unwrap_or_default(),
                employment: empstat.unwrap_or_default(),
                accommodation: accmneed.unwrap_or_default(),
                parental: prntstat.unwrap_or_default(),
                injecting: injstat.unwrap_or_default(),
                disability: disability.unwrap_or_default(),
            },
        });
    }
}

/// The client key of an attributor: the first 16 bytes of its HMAC.
pub(super) fn client_key(mac: &Hmac<Sha256>, attributor: &[u8]) -> ClientKey {
    let mut mac = mac.clone();
    mac.update(attributor);
    let digest = mac.finalize().into_bytes();
    let mut key = [0u8; 16];
    for (k, d) in key.iter_mut().zip(digest.iter()) {
        *k = *d;
    }
    ClientKey(key)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::testing::*;
    use crate::records::submission::{COLUMNS, NCOLS, REQUIRED, Verdict};

    #[test]
    fn the_same_person_gets_the_same_key_however_written() {
        let f = fixture();
        let o = f.rows(&[
            row(&[]),
            row(&[
                ("EPISODID", "E2"),
                ("MODID", "M2"),
                ("FINITIAL", "j"),
                ("SINITIAL", "s"),
                ("DOB", "1980-01-15"),
            ]),
            row(&[("EPISODID", "E3"), ("MODID", "M3"), ("SEX", "F")]),
        ]);
        let r = all_records(&o);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].client, r[1].client);
        assert_ne!(r[0].client, r[2].client);
    }

    #[test]
    fn a_wrong_field_count_is_that_rows_error() {
        let short = row(&[("MODID", "M2")]);
        let short = &short[..short.rfind(',').unwrap()];
        let o = fixture().rows(&[row(&[]), short.to_string()]);
        assert_eq!(errors(&o), [p(3, "", "has 29 fields, the header has 30")]);
        assert_eq!(o.report.rejected_rows, 2);
    }

    #[test]
    fn discharge_reasons_old_legacy_and_unknown() {
        let discharged = [("DISD", "20260301"), ("MODEND", "20260301")];
        let o = fixture().rows(&[row(&[discharged[0], discharged[1], ("DISRSN", "90")])]);
        assert_eq!(o.report.verdict, Verdict::Accepted);
        assert_eq!(
            warnings(&o),
            [p(2, "DISRSN", "old payment-by-results code 90, read as 80")]
        );
        assert_eq!(all_records(&o)[0].discharge_reason, Some(80));
        assert_eq!(
            row_errors(&[discharged[0], discharged[1], ("DISRSN", "5")]),
            [p(
                2,
                "DISRSN",
                "legacy discharge code: map it to a current code first"
            )]
        );
        assert_eq!(
            row_errors(&[discharged[0], discharged[1], ("DISRSN", "99")]),
            [p(2, "DISRSN", "unknown discharge reason")]
        );
    }

    #[test]
    fn the_agency_must_be_registered_and_the_same() {
        let mut f = fixture();
        f.provider = Some("N9999");
        let o = f.rows(&[row(&[("AGNCY", "N9999")])]);
        let unknown = "unknown agency 'N9999': register it with `lantern import agencies`";
        assert_eq!(errors(&o), [p(0, "AGNCY", unknown)]);
        assert_eq!(rejected(&o), unknown);

        // The provider given wins over the rows.
        f.provider = Some("N0852");
        let o = f.rows(&[row(&[("AGNCY", "N0001")])]);
        assert_eq!(
            errors(&o),
            [p(
                2,
                "AGNCY",
                "differs from the provider of this submission ('N0852'): a file holds one provider's records"
            )]
        );
        assert!(o.areas.is_empty());

        // Without one, the first row's agency.
        f.provider = None;
        let o = f.rows(&[row(&[("AGNCY", "N0001")]), row(&[("MODID", "M2")])]);
        assert_eq!(
            errors(&o),
            [p(
                3,
                "AGNCY",
                "differs from the agency on line 2 ('N0001'): a file holds one provider's records"
            )]
        );
        assert_eq!(o.provider, "N0001");
        assert!(matches!(o.report.verdict, Verdict::Rejected { .. }));

        // An unregistered code in a row is not shown: it may be anything
        // typed into the column.
        let o = f.rows(&[row(&[("AGNCY", "N9999")])]);
        let unshown = "unknown agency: register it with `lantern import agencies`";
        assert_eq!(errors(&o), [p(2, "AGNCY", unshown)]);
        assert_eq!(o.report.errors[0].value, None);
        assert_eq!(o.report.errors[0].length, Some(5));
        assert_eq!(rejected(&o), unshown);

        let o = f.rows(&[row(&[])]);
        assert_eq!(
            (o.provider.as_str(), &o.report.verdict),
            ("N0852", &Verdict::Accepted)
        );
    }

    #[test]
    fn birth_dates() {
        assert_eq!(
            row_errors(&[("DOB", "19011231")]),
            [p(2, "DOB", "born before 1902: check the date of birth")]
        );
        assert_eq!(
            row_errors(&[("DOB", "20250105")]),
            [p(2, "DOB", "not before the referral (REFLD)")]
        );
        // 18 on the day of the episode start, not a day before.
        assert!(row_errors(&[("DOB", "20070112")]).is_empty());
        assert_eq!(
            row_errors(&[("DOB", "20070113")]),
            [p(
                2,
                "DOB",
                "under 18: belongs to the young people's data set"
            )]
        );
    }

    #[test]
    fn episode_dates() {
        assert_eq!(
            row_errors(&[("TRIAGED", "20250104")]),
            [p(2, "TRIAGED", "triage before referral")]
        );
        assert_eq!(
            row_errors(&[("EPSTART", "20250104"), ("MODST", "20250104")]),
            [p(2, "EPSTART", "episode start before referral")]
        );
        let o = fixture().rows(&[row(&[("EPSTART", "20250106"), ("MODST", "20250106")])]);
        assert_eq!(o.report.verdict, Verdict::Accepted);
        assert_eq!(
            warnings(&o),
            [p(2, "EPSTART", "episode start before triage (TRIAGED)")]
        );
    }

    #[test]
    fn discharges() {
        assert_eq!(
            row_errors(&[("DISD", "20260301"), ("MODEND", "20260301")]),
            [p(2, "DISRSN", "missing: required when DISD is given")]
        );
        assert_eq!(
            row_errors(&[("DISRSN", "80")]),
            [p(2, "DISD", "missing: required when DISRSN is given")]
        );
        assert_eq!(
            row_errors(&[
                ("DISD", "20250111"),
                ("DISRSN", "85"),
                ("MODST", "20250111"),
                ("MODEND", "20250111")
            ]),
            [
                p(2, "DISD", "discharge before start"),
                p(
                    2,
                    "MODST",
                    "intervention starts before the episode (EPSTART)"
                ),
            ]
        );
        assert_eq!(
            row_errors(&[("DISD", "20260301"), ("DISRSN", "85")]),
            [p(
                2,
                "MODEND",
                "missing: the episode is discharged, so its interventions must have ended"
            )]
        );
    }

    #[test]
    fn interventions_sit_inside_their_episode() {
        assert_eq!(
            row_errors(&[("MODST", "20250111")]),
            [p(
                2,
                "MODST",
                "intervention starts before the episode (EPSTART)"
            )]
        );
        assert_eq!(
            row_errors(&[
                ("DISD", "20250201"),
                ("DISRSN", "80"),
                ("MODST", "20250202"),
                ("MODEND", "20250202")
            ]),
            [
                p(2, "MODST", "intervention starts after the discharge (DISD)"),
                p(2, "MODEND", "intervention ends after the discharge (DISD)"),
            ]
        );
        assert_eq!(
            row_errors(&[("MODST", "20250120"), ("MODEND", "20250119")]),
            [p(2, "MODEND", "intervention ends before it starts")]
        );
        assert_eq!(
            row_errors(&[
                ("DISD", "20250201"),
                ("DISRSN", "80"),
                ("MODEND", "20250202")
            ]),
            [p(
                2,
                "MODEND",
                "intervention ends after the discharge (DISD)"
            )]
        );
    }

    #[test]
    fn modality_ids_are_unique() {
        let o = fixture().rows(&[row(&[]), row(&[("MODID", "M2")]), row(&[])]);
        assert_eq!(
            errors(&o),
            [p(4, "MODID", "duplicate modality id, first on line 2")]
        );
    }

    #[test]
    fn rows_of_an_episode_agree() {
        let o = fixture().rows(&[
            row(&[]),
            row(&[("MODID", "M2"), ("LA", "E06000015"), ("DOB", "19800116")]),
            row(&[("MODID", "M3"), ("DRUG2", "")]),
        ]);
        let reason = "differs from line 2 of the same episode (rows of an episode must agree)";
        assert_eq!(
            errors(&o),
            [
                p(3, "DOB", reason),
                p(3, "LA", reason),
                p(4, "DRUG2", reason)
            ]
        );
    }

    #[test]
    fn repeated_drugs_are_warned_about_and_dropped() {
        let o = fixture().rows(&[row(&[("DRUG2", "1101"), ("DRUG3", "1101")])]);
        assert_eq!(o.report.verdict, Verdict::Accepted);
        assert_eq!(
            warnings(&o),
            [
                p(2, "DRUG2", "repeats DRUG1; ignored"),
                p(2, "DRUG3", "repeats DRUG1; ignored")
            ]
        );
        assert_eq!(all_records(&o)[0].drugs, [Some(1101), None, None]);
        let o = fixture().rows(&[row(&[("DRUG3", "3201")])]);
        assert_eq!(warnings(&o), [p(2, "DRUG3", "repeats DRUG2; ignored")]);
    }

    #[test]
    fn optional_columns_absent_empty_or_coded() {
        use crate::records::codes::{Disability, Employment, InjectingStatus, ReferralSource};
        use crate::records::{Field, Recorded};
        // Every optional column given: codes read, an empty cell not stated.
        let o = fixture().rows(&[row(&[("EMPSTAT", ""), ("DISABILITY", "05")])]);
        assert_eq!(o.report.verdict, Verdict::Accepted, "{:?}", o.report);
        let c = all_records(&o)[0].circumstances;
        assert_eq!(
            c.referral_source,
            Recorded::Code(ReferralSource::SelfReferral)
        );
        assert_eq!(c.employment, Recorded::NotStated);
        assert_eq!(c.injecting, Recorded::Code(InjectingStatus::Never));
        assert_eq!(c.disability, Recorded::Code(Disability::Disabled));
        assert_eq!(Field::Parental.value(&c), Some("not_a_parent"));

        // A file without the optional columns (as before they existed):
        // accepted, every field "not submitted".
        let required = &COLUMNS[..REQUIRED];
        let values: Vec<&str> = ROW[..REQUIRED].to_vec();
        let text = format!("{}\n{}\n", required.join(","), values.join(","));
        let o = fixture().read(text.as_bytes());
        assert_eq!(o.report.verdict, Verdict::Accepted, "{:?}", o.report);
        let c = all_records(&o)[0].circumstances;
        for f in Field::ALL {
            assert_eq!(f.value(&c), None, "{f:?}");
        }

        // Only some: the others are not submitted.
        let mut columns = required.to_vec();
        columns.push("EMPSTAT");
        let text = format!("{}\n{},12\n", columns.join(","), values.join(","));
        let o = fixture().read(text.as_bytes());
        let c = all_records(&o)[0].circumstances;
        assert_eq!(c.employment, Recorded::Code(Employment::Unemployed));
        assert_eq!(c.accommodation, Recorded::NotSubmitted);
        assert_eq!(
            Field::Employment.value(&c),
            Some("unemployed"),
            "the dimension value"
        );
    }

    #[test]
    fn a_bad_optional_code_is_located_and_shown_only_as_a_code() {
        for (field, value, reason) in [
            (
                "RFLS",
                "7",
                "not a valid code: one of 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25",
            ),
            (
                "EMPSTAT",
                "3",
                "not a valid code: one of 1, 2, 9, 10, 12, 13, 14, 15, 5, 6, 99",
            ),
            ("ACCMNEED", "4", "not a valid code: one of 1, 2, 3"),
            (
                "PRNTSTAT",
                "16",
                "not a valid code: one of 11, 12, 13, 14, 15",
            ),
            ("INJSTAT", "c", "not a valid code: one of P, C, N, Z"),
            (
                "DISABILITY",
                "11",
                "not a disability code: 01–10 (a kind of disability), XX another, NN none, ZZ not stated",
            ),
        ] {
            assert_eq!(
                row_errors(&[(field, value)]),
                [p(2, field, reason)],
                "{field} {value}"
            );
            // The report names line, column and the value (a code).
            let o = fixture().rows(&[row(&[]), row(&[("MODID", "M2"), (field, value)])]);
            let e = &o.report.errors[0];
            assert_eq!((e.line, e.field.as_deref()), (3, Some(field)));
            assert_eq!(e.value.as_deref(), Some(value), "{field}");
        }
        // Free text typed into a code column is not echoed: only its length.
        let o = fixture().rows(&[row(&[("EMPSTAT", "works at Tesco")])]);
        let e = &o.report.errors[0];
        assert_eq!((e.value.as_deref(), e.length), (None, Some(14)));
        // Rows of an episode agree on the circumstances too.
        let o = fixture().rows(&[row(&[]), row(&[("MODID", "M2"), ("INJSTAT", "C")])]);
        assert_eq!(
            errors(&o),
            [p(
                3,
                "INJSTAT",
                "differs from line 2 of the same episode (rows of an episode must agree)"
            )]
        );
    }

    #[test]
    fn rows_of_empty_cells_are_ignored() {
        let o = fixture().rows(&[row(&[]), ",".repeat(NCOLS - 1), " , ".into()]);
        assert_eq!(o.report.verdict, Verdict::Accepted);
        assert_eq!(o.report.rows, 1);
        assert_eq!(
            warnings(&o),
            [p(3, "", "empty row ignored"), p(4, "", "empty row ignored")]
        );
    }
}
