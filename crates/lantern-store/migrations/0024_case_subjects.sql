-- The subject each case is listed by (its e-mail's subject line, "(no
-- subject)", or "Structured request"), worked out from the request's text
-- with lantern_core::casework::subject_of in the same statement that writes
-- the text (opening the case; erasing the requester's details), so the
-- inbox lists the open cases without parsing every one's text.
-- Empty (NULL) means "not known": cases opened before this version and
-- restored dumps (which do not carry it); the reader then works it out
-- from the text, as before.

ALTER TABLE cases ADD COLUMN subject TEXT;
