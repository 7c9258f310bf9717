-- The fee a fees notice (s9) asks for, in pence, kept with the notice's
-- case event so the fees notice letter can say it; empty for every other
-- event and for notices recorded before this version (whose letter is then
-- refused until a notice with its amount is recorded).

ALTER TABLE case_events ADD COLUMN fee_pence BIGINT;
