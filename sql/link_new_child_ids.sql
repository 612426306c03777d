-- New person ids: a prefix ('C' for children) + 12 Crockford base-32 characters from sha256 of the namespace and a cluster's seed
-- string (itself made of salted anchor hashes), so an id never reveals an identity number.
SELECT cluster_id, seed,
       $prefix || array_to_string(list_transform(range(12), lambda i: substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ',
            (((('0x' || substr(sha256($namespace || '|child|' || seed), 1, 15))::BIGINT) >> (5 * (11 - i))) & 31)::INT + 1,
            1)), '') AS child_id
FROM {seeds}
