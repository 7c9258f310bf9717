-- Not-held declarations versioned by data version, and withdrawable; the
-- hours of an s12 estimate that settled a blocking finding.
--
-- A declaration made from now on is an import (`kind` 'not_held'), so it
-- is in force from that data version (`added_in`); withdrawing it is
-- another import (`kind` 'not_held_withdrawal', who and when) that sets
-- `retired_in` and `withdrawn_reason` once. A letter made at data version
-- N uses the declarations in force at N. Declarations made before this
-- migration have no `added_in`: they are in force at every version, as
-- they were read before.
ALTER TABLE not_held_declarations ADD COLUMN added_in BIGINT REFERENCES imports (id);
ALTER TABLE not_held_declarations ADD COLUMN retired_in BIGINT REFERENCES imports (id);
ALTER TABLE not_held_declarations ADD COLUMN withdrawn_reason TEXT;

-- An officer's s12 estimate settling a finding: hours as decimal text
-- ("25", "20.5"); null for every other resolution.
ALTER TABLE finding_resolutions ADD COLUMN hours TEXT;
