-- Environment account connections are read by their management account too: an index on
-- (kind, parent, name) across accounts keeps those lists keyset-paginated.
CREATE INDEX resources_by_parent_any_account ON resources (kind, parent, name);
