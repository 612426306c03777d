-- New person ids: a prefix ('C' for children) + 12 Crockford base-32 characters from sha256 of the namespace and a cluster's seed
-- string (itself made of salted anchor hashes), so an id never reveals an identity number. The hash is taken once per seed;
-- its first 60 bits give the 12 characters, 5 bits each.
WITH hashed AS (
    SELECT cluster_id, seed, ('0x' || substr(sha256($namespace || '|child|' || seed), 1, 15))::BIGINT AS h
    FROM {seeds}
)
SELECT cluster_id, seed,
       $prefix || array_to_string(list_transform(range(12), lambda i: substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ',
            ((h >> (5 * (11 - i))) & 31)::INT + 1, 1)), '') AS child_id
FROM hashed
