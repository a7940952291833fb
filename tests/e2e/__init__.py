"""End-to-end tests: the real etcdctl and client libraries against the store."""
