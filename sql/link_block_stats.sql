-- One blocking rule's block sizes summed up: blocks, the largest, those above the cap $cap (and their
-- records), and the pairs the blocks within the cap hold.
SELECT count(*), coalesce(max(n), 0),
       coalesce(sum(CASE WHEN n > $cap THEN 1 ELSE 0 END), 0),
       coalesce(sum(CASE WHEN n > $cap THEN n ELSE 0 END), 0),
       coalesce(sum(CASE WHEN n <= $cap THEN n * (n - 1) / 2 ELSE 0 END), 0)
FROM {sizes}
