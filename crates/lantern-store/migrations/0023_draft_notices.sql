-- The notices of a case's kept draft (its questions' notices and parts, as
-- JSON: the releases it cites under sections 21 and 22), written with the
-- draft in the same statement, so the inbox can tell whether a cited
-- release changed without reading tens of kilobytes of draft per case.
-- Empty (NULL) means "not known": drafts saved before this version, drafts
-- rewritten when the requester's details were erased, restored dumps; the
-- reader then reads the draft itself, as before.

ALTER TABLE cases ADD COLUMN draft_notices TEXT;
