-- Stable, non-reversible-at-a-glance person ids for resolved parents: 'P' + 16 hex of sha256 over a
-- fixed prefix and the resolved identity number. Same number, same id, in every run.
-- Input: {keys}(person_key). Output: person_key, person_id.
SELECT person_key, 'P' || substr(sha256('taizhang-person|' || person_key), 1, 16) AS person_id
FROM (SELECT DISTINCT person_key FROM {keys} WHERE person_key IS NOT NULL)
ORDER BY person_key
