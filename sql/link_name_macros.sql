-- The name-relatedness rule, defined once for the engine's SQL and its clustering.
-- Two names are one typo apart when they are at most one edit apart (a character inserted,
-- deleted or replaced), unless both given names are one character and differ: one
-- one-character given name replaced by another (宇, 伟) is another name, not a typo.
-- Called with two full names and their given names, or with two given names twice.
CREATE OR REPLACE TEMP MACRO lk_typo_apart(name_a, name_b, given_a, given_b) AS
    levenshtein(name_a, name_b) <= 1
    AND NOT (length(given_a) = 1 AND length(given_b) = 1 AND given_a <> given_b);
