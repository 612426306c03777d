-- Every record's id (singletons included): the nodes of the linkage graph.
SELECT record_id FROM {records}
